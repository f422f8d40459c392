/**
 * The byte-stream transport under the AMI client and server: a small
 * interface and the runtime's default implementation. On Deno the client
 * reads with `Deno.connect` (about twice as fast as `node:net` there); under
 * Bun or Node it uses `node:net`. Tests and callers may pass either.
 *
 * @module
 */

import { denoTransport } from "./transport_deno.ts";
import { nodeTransport } from "./transport_node.ts";

/** Host and port of one end of a connection. */
export interface NetAddr {
  hostname: string;
  port: number;
}

/** A connected, bidirectional byte stream. */
export interface AmiConn {
  /** The next chunk read, valid until the following `read()`; `null` at end of stream. */
  read(): Promise<Uint8Array | null>;
  /**
   * Writes all of `data`; rejects if the connection is broken. Once it
   * settles, `data` is the caller's again (the write queue reuses its buffer).
   */
  write(data: Uint8Array): Promise<void>;
  /** Closes the connection; a pending `read()` then ends. Safe to call twice. */
  close(): void;
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
}

/** TLS settings of a client: extra trusted CA certificates (PEM). */
export interface TlsClientOptions {
  caCerts?: string[];
}

/** TLS settings of a server: certificate chain and key (PEM). */
export interface TlsServerOptions {
  cert: string;
  key: string;
}

/** Where and how to connect. */
export interface ConnectOptions extends NetAddr {
  tls?: TlsClientOptions;
}

/** Where and how to listen; port 0 picks a free port. */
export interface ListenOptions extends NetAddr {
  tls?: TlsServerOptions;
}

/** A listening socket: accepted connections as an async iterable. */
export interface AmiListener extends AsyncIterable<AmiConn> {
  readonly addr: NetAddr;
  /** Stops accepting; the iteration then ends. Open connections are not touched. */
  close(): void;
}

/** One runtime's way to make connections and listeners. */
export interface Transport {
  connect(options: ConnectOptions): Promise<AmiConn>;
  listen(options: ListenOptions): Promise<AmiListener>;
}

/** The fastest transport of the running runtime: Deno's sockets on Deno, `node:net` elsewhere. */
export function defaultTransport(): Transport {
  return "Deno" in globalThis ? denoTransport : nodeTransport;
}

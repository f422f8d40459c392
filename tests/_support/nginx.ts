/**
 * Debian's nginx in front of proxies, for tests, with the configuration
 * `docs/operations.md` shows (an upstream of proxies, the event stream
 * unbuffered), in a temp folder on a free loopback port, stopped by its pid.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { unusedPort } from "./wait.ts";

const NGINX = "/usr/sbin/nginx";

/** A running nginx: where it listens, and how to stop it. */
export interface Nginx extends AsyncDisposable {
  url: string;
}

/** Starts nginx balancing over `upstreams` (`http://127.0.0.1:port`). */
export async function startNginx(upstreams: readonly string[]): Promise<Nginx> {
  if (!existsSync(NGINX)) {
    throw new Error("nginx is not installed: `apt-get install -y nginx-light` (Debian's package)");
  }
  const dir = Deno.makeTempDirSync({ prefix: "astrix-nginx-" });
  Deno.chmodSync(dir, 0o777);
  const port = unusedPort();
  const servers = upstreams.map((u) =>
    `    server ${new URL(u).host} max_fails=1 fail_timeout=5s;`
  );
  Deno.writeTextFileSync(
    `${dir}/nginx.conf`,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream astrix {
${servers.join("\n")}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://astrix;
      proxy_set_header Host $http_host;
      proxy_set_header X-Request-Id $request_id;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_next_upstream error timeout;
    }
  }
}
`,
  );
  const child = new Deno.Command(NGINX, {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-g", "daemon off;"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const errors = new Response(child.stderr).text();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.status;
        throw new Error(`nginx did not start: ${await errors}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    async [Symbol.asyncDispose]() {
      child.kill("SIGQUIT"); // graceful: the workers finish, then the master
      await child.status;
      await errors;
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/**
 * The supervisor's board: the live calls, updated from the event stream
 * (no polling: new calls appear, ended ones go, states change, durations
 * tick), each with Listen / Whisper / Barge on the PBX it is on (a PBX
 * column when there are several). A listen becomes one of the user's jobs
 * (the panel beside the board).
 *
 * @module
 */

import { Component } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, unwrap } from "./api.ts";
import { type BoardChannel, ChannelBoard } from "./channels.ts";
import { SpeakerContext, useConsole } from "./context.ts";
import type { Speaker } from "./i18n.ts";
import { ErrorNote } from "./errors.tsx";
import type { MessageKey } from "./i18n.ts";
import { JobsPanel } from "./jobs_panel.tsx";

const MODES = ["listen", "whisper", "barge"] as const;
type Mode = typeof MODES[number];

/** The live calls and the user's jobs. */
export function Board() {
  const { speaker, live, jobs, jobsChanged } = useConsole();
  const board = useMemo(() => new ChannelBoard(), []);
  const [, redraw] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<unknown>(null);
  const [streamState, setStreamState] = useState(live.state);

  useEffect(() => {
    let reading = 0;
    const reload = async () => {
      const ask = ++reading;
      try {
        const { channels } = await unwrap(api.GET("/ami/channels"));
        if (ask !== reading) return;
        board.load(channels, Date.now());
        redraw(board.version);
      } catch (failure) {
        setError(failure);
      }
    };
    const offs = [
      live.onResync(() => void reload()),
      live.onAmi((event) => {
        if (board.apply(event, Date.now())) redraw(board.version);
      }),
      live.onState(setStreamState),
    ];
    // Now, and again once the stream opens (a call that began in between is not missed).
    void reload();
    const ticker = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      for (const off of offs) off();
      clearInterval(ticker);
    };
  }, [board, live]);

  async function listen(channel: string, pbx: string, mode: Mode) {
    setError(null);
    try {
      const { job } = await unwrap(
        api.POST("/ami/originate/listen", { body: { targetChannel: channel, mode, pbx } }),
      );
      jobs.put(job);
      jobsChanged();
    } catch (failure) {
      setError(failure);
    }
  }
  // One callback for every row, so that a row whose fields did not change is not drawn again.
  const listenNow = useRef(listen);
  listenNow.current = listen;
  const onAction = useCallback(
    (channel: string, pbx: string, mode: Mode) => listenNow.current(channel, pbx, mode),
    [],
  );

  const channels = board.list();
  const showPbx = board.pbxs().length > 1;
  return (
    <div class="split">
      <section aria-labelledby="board-title">
        <h2 id="board-title">{speaker.t("board.title")}</h2>
        <p class="meta" role="status">
          <span class={`dot ${streamState}`} aria-hidden="true" />
          {streamState === "live"
            ? speaker.t("board.stream.live")
            : speaker.t("board.stream.connecting")}
          {" · "}
          <span data-testid="channel-count">
            {speaker.t("board.count", { n: channels.length })}
          </span>
        </p>
        <ErrorNote error={error} />
        {channels.length === 0 ? <p>{speaker.t("board.empty")}</p> : (
          <table class="channels">
            <thead>
              <tr>
                {showPbx && <th scope="col">{speaker.t("board.pbx")}</th>}
                <th scope="col">{speaker.t("board.channel")}</th>
                <th scope="col">{speaker.t("board.state")}</th>
                <th scope="col">{speaker.t("board.caller")}</th>
                <th scope="col">{speaker.t("board.connected")}</th>
                <th scope="col">{speaker.t("board.duration")}</th>
                <th scope="col">{speaker.t("board.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {channels.map((channel) => (
                <ChannelRow
                  key={`${channel.pbx}\n${channel.uniqueId ?? channel.channel}`}
                  pbx={channel.pbx}
                  showPbx={showPbx}
                  channel={channel.channel}
                  state={channel.state}
                  callerIdNum={channel.callerIdNum}
                  callerIdName={channel.callerIdName}
                  connectedLineNum={channel.connectedLineNum}
                  startedAtMs={channel.startedAtMs}
                  now={now}
                  onAction={onAction}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <JobsPanel />
    </div>
  );
}

/** What a row shows: the board's rows are mutated in place, so each field is a prop of its own. */
interface RowProps extends
  Pick<
    BoardChannel,
    "channel" | "state" | "callerIdNum" | "callerIdName" | "connectedLineNum" | "startedAtMs"
  > {
  /** The channel's PBX, which its actions name. */
  pbx: string;
  /** Whether the board shows the PBX column (it has several PBXs). */
  showPbx: boolean;
  now: number;
  onAction(channel: string, pbx: string, mode: Mode): void;
}

/**
 * One channel of the board, drawn again only when one of its props changes (or the language):
 * an event redraws its own row, not the thousand others. Drawn whole for each event, a board of
 * 1,000 channels at 100 events a second kept the page's main thread busy and fell seconds
 * behind (bench/console_load.ts).
 */
class ChannelRow extends Component<RowProps> {
  static override contextType = SpeakerContext;
  declare context: Speaker;

  override shouldComponentUpdate(next: RowProps): boolean {
    const props = this.props;
    return (Object.keys(next) as (keyof RowProps)[]).some((key) => next[key] !== props[key]);
  }

  override render() {
    const { props, context: speaker } = this;
    const { channel } = props;
    return (
      <tr data-channel={channel}>
        {props.showPbx && (
          <td>
            <bdi dir="ltr">{props.pbx}</bdi>
          </td>
        )}
        <td>
          <bdi dir="ltr">{channel}</bdi>
        </td>
        <td>{props.state}</td>
        <td>
          <bdi dir="ltr">{props.callerIdNum ?? ""}</bdi>
          {props.callerIdName ? ` ${props.callerIdName}` : ""}
        </td>
        <td>
          <bdi dir="ltr">{props.connectedLineNum ?? ""}</bdi>
        </td>
        <td class="num">{speaker.duration((props.now - props.startedAtMs) / 1000)}</td>
        <td class="actions">
          {MODES.map((mode) => {
            const action = speaker.t(`board.${mode}` as MessageKey);
            return (
              <button
                type="button"
                key={mode}
                aria-label={speaker.t("board.actionLabel", { action, channel })}
                onClick={() => props.onAction(channel, props.pbx, mode)}
              >
                {action}
              </button>
            );
          })}
        </td>
      </tr>
    );
  }
}

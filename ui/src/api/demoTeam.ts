// The demo back end's team server: joined to a sample server, offline for a while with a few
// edits waiting, so Settings → Team can be developed and screenshotted in a plain browser.

import { CommandError } from "./client";
import type { TeamJoinInput, TeamStatus } from "./types";

export function createDemoTeam(): Record<string, (args: Record<string, unknown>) => unknown> {
  const offlineSince = new Date(Date.now() - 42 * 60_000).toISOString();
  let status: TeamStatus = {
    server: "tls://team.example.org:4222",
    connected: false,
    calls_seq: 18_204,
    reviews_seq: 3_911,
    pending: 3,
    pending_reviews: 3,
    pending_calls: 0,
    pending_recordings: 0,
    refused_edits: 0,
    rejected_events: 0,
    offline_since: offlineSince,
    last_connected: offlineSince,
    last_error: "cannot reach the team server at tls://team.example.org:4222: connection refused",
    role: "member",
  };
  const notJoined = (): TeamStatus => ({
    ...status,
    server: null,
    connected: false,
    offline_since: null,
    last_error: null,
  });
  return {
    get_team_status: () => status,
    join_team: (a) => {
      const input = a.input as TeamJoinInput;
      if (!/^(nats|tls|ws|wss):\/\/\S+$/.test(input.server.trim())) {
        throw new CommandError(
          "invalid",
          `${input.server} is not a team server address: use nats://HOST:PORT (or tls://HOST:PORT)`,
        );
      }
      status = {
        ...status,
        server: input.server.trim(),
        connected: true,
        offline_since: null,
        last_connected: new Date().toISOString(),
        last_error: null,
        pending: 0,
        pending_reviews: 0,
      };
      return status;
    },
    leave_team: () => {
      status = notJoined();
      return status;
    },
  };
}

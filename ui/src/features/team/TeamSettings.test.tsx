import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { TeamStatus } from "../../api/types";
import { TeamSettings } from "./TeamSettings";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    getTeamStatus: vi.fn(),
    joinTeam: vi.fn(),
    leaveTeam: vi.fn(),
    onReviewChanged: vi.fn(),
  };
});

const m = vi.mocked(client);

function status(patch: Partial<TeamStatus> = {}): TeamStatus {
  return {
    server: null,
    connected: false,
    calls_seq: 0,
    reviews_seq: 0,
    pending: 0,
    pending_reviews: 0,
    pending_calls: 0,
    pending_recordings: 0,
    refused_edits: 0,
    rejected_events: 0,
    offline_since: null,
    last_connected: null,
    last_error: null,
    role: "member",
    ...patch,
  };
}

beforeEach(() => {
  vi.clearAllMocks();
  m.onReviewChanged.mockResolvedValue(() => undefined);
});

describe("Settings → Team", () => {
  it("joins with a user and password and then shows the server as connected", async () => {
    m.getTeamStatus.mockResolvedValue(status());
    m.joinTeam.mockResolvedValue(
      status({ server: "nats://10.0.0.5:4222", connected: true, calls_seq: 120, reviews_seq: 31 }),
    );
    render(<TeamSettings />);
    const url = await screen.findByLabelText("Team server URL");
    const join = screen.getByRole("button", { name: "Join" });
    expect(join).toBeDisabled();
    fireEvent.change(url, { target: { value: " nats://10.0.0.5:4222 " } });
    fireEvent.change(screen.getByLabelText("Team user"), { target: { value: "alice" } });
    fireEvent.change(screen.getByLabelText("Team password"), { target: { value: "s3cret" } });
    fireEvent.click(join);
    await waitFor(() =>
      expect(m.joinTeam).toHaveBeenCalledWith({ server: "nats://10.0.0.5:4222", user: "alice", password: "s3cret" }),
    );
    expect(await screen.findByTestId("team-server")).toHaveTextContent("nats://10.0.0.5:4222");
    expect(screen.getByTestId("team-state")).toHaveAttribute("data-state", "connected");
    expect(screen.getByTestId("team-seqs")).toHaveTextContent("calls up to #120 · review events up to #31");
    expect(screen.getByTestId("team-pending")).toHaveTextContent("Nothing");
  });

  it("joins with a credentials file", async () => {
    m.getTeamStatus.mockResolvedValue(status());
    m.joinTeam.mockResolvedValue(status({ server: "tls://t.example.org:4222", connected: true }));
    render(<TeamSettings />);
    fireEvent.change(await screen.findByLabelText("Team server URL"), {
      target: { value: "tls://t.example.org:4222" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Credentials file" }));
    fireEvent.change(screen.getByLabelText("Credentials file"), { target: { value: "/home/a/team.creds" } });
    fireEvent.click(screen.getByRole("button", { name: "Join" }));
    await waitFor(() =>
      expect(m.joinTeam).toHaveBeenCalledWith({ server: "tls://t.example.org:4222", creds_file: "/home/a/team.creds" }),
    );
  });

  it("shows why a join failed, as text", async () => {
    m.getTeamStatus.mockResolvedValue(status());
    m.joinTeam.mockRejectedValue(
      new client.CommandError("invalid", "<b>http://x</b> is not a team server address: use nats://HOST:PORT"),
    );
    render(<TeamSettings />);
    fireEvent.change(await screen.findByLabelText("Team server URL"), { target: { value: "http://x" } });
    fireEvent.click(screen.getByRole("button", { name: "Nothing" }));
    fireEvent.click(screen.getByRole("button", { name: "Join" }));
    const err = await screen.findByTestId("team-error");
    expect(err).toHaveTextContent("<b>http://x</b> is not a team server address");
    expect(err.querySelector("b")).toBeNull();
  });

  it("says since when it is offline, what waits to be shared, and the last error as text", async () => {
    m.getTeamStatus.mockResolvedValue(
      status({
        server: "nats://team:4222",
        offline_since: "2026-12-06T08:00:00Z",
        pending: 3,
        pending_reviews: 3,
        calls_seq: 18204,
        reviews_seq: 3911,
        last_error: 'cannot reach the team server <img src=x onerror="alert(1)">',
      }),
    );
    const { container } = render(<TeamSettings />);
    const state = await screen.findByTestId("team-state");
    expect(state).toHaveAttribute("data-state", "offline");
    expect(state).toHaveTextContent(/^Offline since /);
    expect(screen.getByTestId("team-pending")).toHaveTextContent("3 edits pending");
    expect(screen.getByTestId("team-seqs")).toHaveTextContent("calls up to #18,204 · review events up to #3,911");
    expect(screen.getByTestId("team-last-error")).toHaveTextContent('<img src=x onerror="alert(1)">');
    expect(container.querySelector("img")).toBeNull();
  });

  it("on the receiver, counts the recordings waiting to upload and the edits the server refused", async () => {
    m.getTeamStatus.mockResolvedValue(
      status({
        server: "nats://team:4222",
        connected: true,
        role: "receiver",
        pending: 1,
        pending_reviews: 1,
        pending_recordings: 3,
        refused_edits: 2,
        rejected_events: 1,
      }),
    );
    render(<TeamSettings />);
    const pending = await screen.findByTestId("team-pending");
    expect(pending).toHaveTextContent("1 edit pending, 3 recordings waiting to upload");
    expect(screen.getByTestId("team-refused")).toHaveTextContent(/^2 edits the server refused/);
    expect(screen.getByTestId("team-rejected")).toHaveTextContent(/^1 event from the team not applied/);
  });

  it("says nothing is waiting only when no recording is either", async () => {
    m.getTeamStatus.mockResolvedValue(
      status({ server: "nats://team:4222", connected: true, role: "receiver", pending_recordings: 1 }),
    );
    render(<TeamSettings />);
    expect(await screen.findByTestId("team-pending")).toHaveTextContent(/^1 recording waiting to upload$/);
    expect(screen.queryByTestId("team-refused")).toBeNull();
    expect(screen.queryByTestId("team-rejected")).toBeNull();
  });

  it("does not say every edit is shared while some were refused", async () => {
    m.getTeamStatus.mockResolvedValue(status({ server: "nats://team:4222", connected: true, refused_edits: 1 }));
    render(<TeamSettings />);
    expect(await screen.findByTestId("team-pending")).toHaveTextContent(/^Nothing waiting to go out\.$/);
    expect(screen.getByTestId("team-refused")).toHaveTextContent(/^1 edit the server refused/);
  });

  it("leaves after a confirmation and shows the join form again", async () => {
    m.getTeamStatus.mockResolvedValue(status({ server: "nats://team:4222", connected: true }));
    m.leaveTeam.mockResolvedValue(status());
    render(<TeamSettings />);
    fireEvent.click(await screen.findByTestId("team-leave"));
    expect(m.leaveTeam).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Leave" }));
    await waitFor(() => expect(m.leaveTeam).toHaveBeenCalledTimes(1));
    expect(await screen.findByLabelText("Team server URL")).toBeInTheDocument();
  });
});

import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { TunnelOverview, TunnelStatus } from "../../api/types";
import { clock, LAST_COPIED_KEY, TunnelPanel } from "./TunnelPanel";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    copyText: vi.fn(),
    getTunnelStatus: vi.fn(),
    startTunnel: vi.fn(),
    stopTunnel: vi.fn(),
    onTunnelChanged: vi.fn(),
  };
});

const m = vi.mocked(client);
const checked = Date.UTC(2025, 0, 15, 10, 30);

function online(url: string): TunnelStatus {
  return {
    provider: "cloudflared",
    warning: null,
    state: "online",
    public_url: url,
    reachable: true,
    checked_at_ms: checked,
    check_error: null,
  };
}

let overview: TunnelOverview;
let changed: (s: TunnelStatus) => void = () => undefined;

beforeEach(() => {
  vi.clearAllMocks();
  window.localStorage.clear();
  overview = { status: { provider: "none", warning: null, state: "off" }, saved: null, saved_secret: false, secret_storage: null };
  m.getTunnelStatus.mockImplementation(() => Promise.resolve(overview));
  m.copyText.mockResolvedValue();
  m.onTunnelChanged.mockImplementation((cb) => {
    changed = cb;
    return Promise.resolve(() => undefined);
  });
});

describe("TunnelPanel", () => {
  it("shows the verified public URL, copies it, and warns when it changes after the copy", async () => {
    const first = "https://first-words.trycloudflare.com/hooks/abc123";
    overview = { ...overview, status: online(first), saved: { provider: "cloudflared" } };
    render(<TunnelPanel />);
    expect(await screen.findByTestId("public-url")).toHaveValue(first);
    expect(screen.getByTestId("tunnel-reachable")).toHaveTextContent(`reachable ✓ (checked ${clock(checked)})`);
    expect(screen.queryByTestId("tunnel-stale")).toBeNull();

    fireEvent.click(screen.getByTestId("copy-public-url"));
    await waitFor(() => expect(m.copyText).toHaveBeenCalledWith(first));
    expect(window.localStorage.getItem(LAST_COPIED_KEY)).toBe(first);

    // cloudflared restarted with a new URL: Intellixent still posts to the old one.
    const second = "https://second-words.trycloudflare.com/hooks/abc123";
    overview = { ...overview, status: online(second) };
    act(() => changed(overview.status));
    await waitFor(() => expect(screen.getByTestId("public-url")).toHaveValue(second));
    expect(screen.getByTestId("tunnel-stale")).toHaveTextContent("Intellixent still has the old URL");
  });

  it("starts bore with the server and secret, and warns that it is plain HTTP", async () => {
    m.startTunnel.mockResolvedValue({ provider: "bore", warning: "plain HTTP", state: "starting" });
    render(<TunnelPanel />);
    expect(await screen.findByText(/not configured/)).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Tunnel provider"), { target: { value: "bore" } });
    expect(screen.getByTestId("bore-warning")).toHaveTextContent("phone numbers and transcripts");
    fireEvent.change(screen.getByLabelText("bore server"), { target: { value: "bore.example.org:4000" } });
    fireEvent.change(screen.getByLabelText("bore secret"), { target: { value: "s3cret" } });
    fireEvent.click(screen.getByRole("button", { name: "Start" }));
    await waitFor(() =>
      expect(m.startTunnel).toHaveBeenCalledWith({ provider: "bore", server: "bore.example.org:4000", secret: "s3cret" }),
    );
    expect(await screen.findByTestId("tunnel-state")).toHaveTextContent("Starting…");
    expect(screen.getByLabelText("bore secret")).toHaveValue("");
  });

  it("starts ngrok with the authtoken and domain, and says where a saved authtoken is kept", async () => {
    overview = {
      ...overview,
      saved: { provider: "ngrok", domain: "calls.ngrok.app", authtoken: null },
      saved_secret: true,
      secret_storage: "keyring",
    };
    m.startTunnel.mockResolvedValue({ provider: "ngrok", warning: null, state: "starting" });
    render(<TunnelPanel />);
    const token = await screen.findByLabelText("ngrok authtoken");
    expect(screen.getByLabelText("Tunnel provider")).toHaveValue("ngrok");
    expect(token).toHaveAttribute("type", "password");
    expect(token).toHaveAttribute("placeholder", "saved in the system keyring (leave blank to keep)");
    expect(screen.getByLabelText("ngrok domain")).toHaveValue("calls.ngrok.app");
    expect(screen.queryByTestId("bore-warning")).toBeNull();

    // Blank authtoken: the saved one is kept by the back end.
    fireEvent.click(screen.getByRole("button", { name: "Start" }));
    await waitFor(() =>
      expect(m.startTunnel).toHaveBeenCalledWith({ provider: "ngrok", domain: "calls.ngrok.app", authtoken: null }),
    );

    fireEvent.change(screen.getByLabelText("ngrok authtoken"), { target: { value: " 2abcToken " } });
    fireEvent.change(screen.getByLabelText("ngrok domain"), { target: { value: "" } });
    fireEvent.click(screen.getByRole("button", { name: /Start|Restart/ }));
    await waitFor(() =>
      expect(m.startTunnel).toHaveBeenLastCalledWith({ provider: "ngrok", domain: null, authtoken: "2abcToken" }),
    );
    expect(screen.getByLabelText("ngrok authtoken")).toHaveValue("");
  });

  it("does not claim a saved ngrok authtoken when the saved secret is bore's", async () => {
    overview = {
      ...overview,
      saved: { provider: "bore", server: "bore.pub", secret: null },
      saved_secret: true,
      secret_storage: "file",
    };
    render(<TunnelPanel />);
    expect(await screen.findByLabelText("bore secret")).toHaveAttribute("placeholder", "saved (leave blank to keep)");
    fireEvent.change(screen.getByLabelText("Tunnel provider"), { target: { value: "ngrok" } });
    expect(screen.getByLabelText("ngrok authtoken")).toHaveAttribute(
      "placeholder",
      "dashboard.ngrok.com → Your Authtoken",
    );
  });

  it("keeps what is being typed when a tunnel event re-reads the status", async () => {
    overview = { ...overview, saved: { provider: "ngrok", domain: "calls.ngrok.app", authtoken: null } };
    render(<TunnelPanel />);
    const domain = await screen.findByLabelText("ngrok domain");
    expect(domain).toHaveValue("calls.ngrok.app");
    fireEvent.change(domain, { target: { value: "other.ngrok.app" } });
    overview = { ...overview, status: online("https://calls.ngrok.app/hooks/abc123") };
    act(() => changed(overview.status));
    expect(await screen.findByTestId("public-url")).toHaveValue("https://calls.ngrok.app/hooks/abc123");
    expect(screen.getByLabelText("ngrok domain")).toHaveValue("other.ngrok.app");
    expect(m.getTunnelStatus).toHaveBeenCalledTimes(2);
  });
});

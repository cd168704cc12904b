import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import { NotifyProvider } from "../../app/notify";
import { runningListener } from "../../test/fixtures";
import { ConnectPanel } from "./ConnectPanel";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, copyText: vi.fn(), sendTestCall: vi.fn(), setListenerPort: vi.fn() };
});

const m = vi.mocked(client);

beforeEach(() => {
  vi.clearAllMocks();
});

describe("ConnectPanel", () => {
  it("copies the webhook URL", async () => {
    m.copyText.mockResolvedValue();
    render(<ConnectPanel listener={runningListener} onListenerChanged={vi.fn()} onOpenCall={vi.fn()} />);
    expect(screen.getByTestId("webhook-url")).toHaveValue(runningListener.webhook_url);
    fireEvent.click(screen.getByTestId("copy-webhook-url"));
    expect(await screen.findByText("Copied")).toBeInTheDocument();
    expect(m.copyText).toHaveBeenCalledWith("http://127.0.0.1:8787/hooks/abc123");
  });

  it("sends a test call and opens it", async () => {
    m.sendTestCall.mockResolvedValue(42);
    const onOpenCall = vi.fn();
    render(<ConnectPanel listener={runningListener} onListenerChanged={vi.fn()} onOpenCall={onOpenCall} />);
    fireEvent.click(screen.getByRole("button", { name: /Send a test call/ }));
    expect(await screen.findByText(/Test call #42 received/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Open it" }));
    expect(onOpenCall).toHaveBeenCalledWith(42);
  });

  it("reports a failed test call", async () => {
    m.sendTestCall.mockRejectedValue(new client.CommandError("listener", "The listener is not running."));
    render(
      <NotifyProvider>
        <ConnectPanel listener={runningListener} onListenerChanged={vi.fn()} onOpenCall={vi.fn()} />
      </NotifyProvider>,
    );
    fireEvent.click(screen.getByRole("button", { name: /Send a test call/ }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The listener is not running.");
  });

  it("has a separate placeholder for the public URL", () => {
    render(<ConnectPanel listener={runningListener} onListenerChanged={vi.fn()} onOpenCall={vi.fn()} />);
    expect(screen.getByTestId("tunnel-panel")).toHaveTextContent("Public URL: not configured");
  });

  it("shows a failed listener prominently and lets the user pick another port", async () => {
    const failed = {
      state: "failed" as const,
      bind: "127.0.0.1:8787",
      port: null,
      webhook_url: null,
      error: "Port 8787 is already in use by another program. Pick another port in Settings.",
    };
    m.setListenerPort
      .mockRejectedValueOnce(new client.CommandError("port_in_use", "Port 9000 is already in use."))
      .mockResolvedValueOnce(runningListener);
    const onListenerChanged = vi.fn();
    render(<ConnectPanel listener={failed} onListenerChanged={onListenerChanged} onOpenCall={vi.fn()} />);
    expect(screen.getAllByRole("alert")[0]).toHaveTextContent("Port 8787 is already in use");
    expect(screen.getByRole("button", { name: /Send a test call/ })).toBeDisabled();
    const port = screen.getByLabelText("Listener port");
    // Pre-filled with the port that failed, ready to edit.
    expect(port).toHaveValue(8787);
    fireEvent.change(port, { target: { value: "9000" } });
    fireEvent.click(screen.getByRole("button", { name: "Use this port" }));
    expect(await screen.findByText("Port 9000 is already in use.")).toBeInTheDocument();
    expect(m.setListenerPort).toHaveBeenCalledWith(9000);
    fireEvent.change(port, { target: { value: "9001" } });
    fireEvent.click(screen.getByRole("button", { name: "Use this port" }));
    await waitFor(() => expect(onListenerChanged).toHaveBeenCalledWith(runningListener));
    await waitFor(() => expect(screen.getByRole("button", { name: "Use this port" })).toBeEnabled());
    expect(screen.queryByText("Port 9000 is already in use.")).toBeNull();
  });
});

import { fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import { callDetail, recording } from "../../test/fixtures";
import { CallDetailView } from "./CallDetailView";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    getCall: vi.fn(),
    getDelivery: vi.fn(),
    copyText: vi.fn(),
    curlForDelivery: vi.fn(),
    onCallsChanged: vi.fn(),
  };
});

const m = vi.mocked(client);
const IMG = "<img src=x onerror=alert(1)>";
const SCRIPT = "<script>alert(1)</script>";

beforeEach(() => {
  vi.clearAllMocks();
  m.onCallsChanged.mockResolvedValue(() => undefined);
  m.copyText.mockResolvedValue();
});

describe("CallDetailView", () => {
  it("renders payload markup literally and creates no elements from it", async () => {
    m.getCall.mockResolvedValue(
      callDetail({
        customer_phone: SCRIPT,
        summary: `Summary ${IMG}`,
        status: IMG,
        transcript: [
          { index: 0, sender: "human", text: `${IMG} ${SCRIPT}`, timestamp: null, offset_seconds: 1 },
          { index: 1, sender: "bot", text: "ok", timestamp: null, offset_seconds: 2 },
        ],
        extracted_variables: { [IMG]: SCRIPT, nested: { deep: IMG } },
        input_variables: { note: IMG },
        lead: { name: SCRIPT },
        deliveries: [
          {
            id: 5,
            received_at: "2025-03-04T10:02:06Z",
            source: "webhook",
            content_type: "application/json",
            outcome: "stored",
            error: null,
            call_id: 7,
            body_bytes: 40,
          },
        ],
      }),
    );
    const { container } = render(<CallDetailView id={7} turnIndex={null} terms={["img"]} onBack={vi.fn()} />);
    const turns = await screen.findAllByTestId("transcript-turn");
    expect(turns[0]).toHaveTextContent(`${IMG} ${SCRIPT}`);
    expect(screen.getByText(`Summary ${IMG}`)).toBeInTheDocument();
    expect(screen.getAllByTestId("variable-row").find((r) => r.getAttribute("data-name") === IMG)).toHaveTextContent(
      SCRIPT,
    );
    // Expand the nested value and the raw body: still text.
    fireEvent.click(screen.getAllByRole("button", { name: /1 key/ })[0] as HTMLElement);
    // The body is not part of the call's detail: it is fetched when opened.
    m.getDelivery.mockResolvedValue({
      id: 5,
      received_at: "2025-03-04T10:02:06Z",
      source: "webhook",
      content_type: "application/json",
      outcome: "stored",
      error: null,
      call_id: 7,
      body: JSON.stringify({ text: IMG }),
      body_encoding: "utf8",
    });
    fireEvent.click(screen.getByRole("button", { name: "Show body" }));
    expect(await screen.findByTestId("delivery-body")).toHaveTextContent(`"text": "${IMG}"`);
    expect(m.getDelivery).toHaveBeenCalledWith(5);

    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(document.querySelector("img, script:not([src])")).toBeNull();
    const html = new XMLSerializer().serializeToString(container);
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("shows the header, transcript and both variable tables", async () => {
    m.getCall.mockResolvedValue(callDetail());
    render(<CallDetailView id={7} turnIndex={1} terms={[]} onBack={vi.fn()} />);
    const detail = await screen.findByTestId("call-detail");
    expect(detail).toHaveAttribute("data-call-id", "7");
    expect(await screen.findByText("+14155550123")).toBeInTheDocument();
    expect(detail).toHaveTextContent("2:05");
    expect(screen.getAllByTestId("transcript-turn")[1]).toHaveClass("turn-focus");
    const names = screen.getAllByTestId("variable-row").map((r) => r.getAttribute("data-name"));
    expect(names).toEqual(["status", "first_name"]);
  });

  it("plays a recording that has a media URL, and says when there is none", async () => {
    m.getCall.mockResolvedValue(
      callDetail({
        recording: recording({
          state: "queued",
          url: "http://127.0.0.1:5555/t/7",
          content_type: "audio/mpeg",
          media_url: "http://127.0.0.1:5555/t/7",
        }),
      }),
    );
    const { unmount } = render(<CallDetailView id={7} turnIndex={null} terms={[]} onBack={vi.fn()} />);
    const audio = await screen.findByTestId("audio-player");
    expect(audio).toHaveAttribute("src", "http://127.0.0.1:5555/t/7");
    expect(audio).toHaveAttribute("preload", "none");
    unmount();
    m.getCall.mockResolvedValue(callDetail());
    render(<CallDetailView id={7} turnIndex={null} terms={[]} onBack={vi.fn()} />);
    expect(await screen.findByTestId("recording-panel")).toHaveTextContent("No recording");
    expect(screen.queryByTestId("audio-player")).toBeNull();
  });

  it("copies the transcript as Assistant/Customer lines and goes back on Esc", async () => {
    m.getCall.mockResolvedValue(callDetail());
    const onBack = vi.fn();
    render(<CallDetailView id={7} turnIndex={null} terms={[]} onBack={onBack} />);
    fireEvent.click(await screen.findByRole("button", { name: /Copy transcript/ }));
    await screen.findByText("Copied");
    expect(m.copyText).toHaveBeenCalledWith("Assistant: Hello Maria\nCustomer: Hi there");
    fireEvent.keyDown(window, { key: "Escape" });
    expect(onBack).toHaveBeenCalled();
  });

  it("shows the error when the call cannot be loaded", async () => {
    m.getCall.mockRejectedValue(new client.CommandError("not_found", "Call #7 is not in the database."));
    render(<CallDetailView id={7} turnIndex={null} terms={[]} onBack={vi.fn()} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Call #7 is not in the database.");
  });
});

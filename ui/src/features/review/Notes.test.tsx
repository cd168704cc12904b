import { configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "../../api/client";
import type { CallReview, Note } from "../../api/types";
import { callDetail, readyRecording } from "../../test/fixtures";
import { CallDetailView } from "../detail/CallDetailView";
import { NoteItem } from "./Notes";
import { ReviewProvider } from "./ReviewContext";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return {
    ...actual,
    getCall: vi.fn(),
    getCallReview: vi.fn(),
    getReviewer: vi.fn(),
    listTags: vi.fn(),
    listScorecards: vi.fn(),
    addNote: vi.fn(),
    editNote: vi.fn(),
    deleteNote: vi.fn(),
    recordingPeaks: vi.fn(),
    onCallsChanged: vi.fn(),
    onReviewChanged: vi.fn(),
    onRecordingsChanged: vi.fn(),
  };
});

const m = vi.mocked(client);

// Whole panels render against mocked commands: allow for a slow, shared machine.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });
const XSS = "<img src=x onerror=alert(1)> <script>alert(2)</script> <b>bold</b>";

function note(over: Partial<Note> = {}): Note {
  return {
    id: "n1",
    author: "sam@example.com",
    author_name: "Sam Lee",
    text: "Listen here",
    turn: 1,
    at_seconds: 65,
    created_at: "2025-03-04T11:00:00Z",
    edited_at: null,
    ...over,
  };
}

function review(notes: Note[]): CallReview {
  return { states: [], notes, tags: [], scores: [], assignee: null };
}

beforeEach(() => {
  vi.clearAllMocks();
  m.getReviewer.mockResolvedValue({ name: "Sam Lee", email: "sam@example.com" });
  m.listTags.mockResolvedValue([]);
  m.listScorecards.mockResolvedValue([]);
  m.recordingPeaks.mockResolvedValue(null);
  for (const sub of [m.onCallsChanged, m.onReviewChanged, m.onRecordingsChanged]) sub.mockResolvedValue(() => undefined);
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
});

function renderDetail() {
  return render(
    <ReviewProvider>
      <CallDetailView id={7} turnIndex={null} terms={[]} onBack={vi.fn()} />
    </ReviewProvider>,
  );
}

describe("notes", () => {
  it("renders a note's markup as text, never as elements", () => {
    const { container } = render(<NoteItem note={note({ text: XSS, author_name: "<i>x</i>" })} mine onEdit={vi.fn()} onDelete={vi.fn()} />);
    const item = screen.getByTestId("note");
    expect(item).toHaveTextContent(XSS);
    expect(item).toHaveTextContent("<i>x</i>");
    expect(container.querySelector("img, script, b, i")).toBeNull();
    expect(new XMLSerializer().serializeToString(container)).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("shows notes inline after their turn and as markers on the waveform; clicking seeks", async () => {
    m.getCall.mockResolvedValue(callDetail({ recording: readyRecording() }));
    m.getCallReview.mockResolvedValue(review([note({ text: XSS }), note({ id: "n2", turn: null, at_seconds: null, text: "Whole call" })]));
    const { container } = renderDetail();
    const inline = await screen.findByText(XSS);
    const item = inline.closest('[data-testid="note"]');
    expect(item).toHaveAttribute("data-turn", "1");
    // Right after turn 1, inside the transcript list.
    expect(item?.previousElementSibling).toHaveAttribute("data-turn-index", "1");
    expect(container.querySelector("img, script, b")).toBeNull();
    // A note without a turn is listed beside the transcript.
    expect(screen.getByText("Whole call").closest('[data-testid="note"]')).toHaveAttribute("data-turn", "");

    const marker = screen.getByTestId("note-marker");
    expect(marker).toHaveAttribute("data-turn", "1");
    expect(marker.style.left).toBe(`${(65 / 125) * 100}%`);
    const audio = screen.getByTestId<HTMLAudioElement>("audio-player");
    Object.defineProperty(audio, "readyState", { value: 4, configurable: true });
    fireEvent.click(marker);
    expect(audio.currentTime).toBe(65);
    audio.currentTime = 0;
    fireEvent.click(item as HTMLElement);
    expect(audio.currentTime).toBe(65);
  });

  it("N adds a note pinned to the selected turn, and its author may edit and delete it", async () => {
    m.getCall.mockResolvedValue(callDetail());
    m.getCallReview.mockResolvedValue(review([note({ author: "dana@example.com", author_name: "Dana", text: "Not mine" })]));
    const added = note({ id: "n9", turn: 1, at_seconds: 65, text: "Customer sounds unsure" });
    m.addNote.mockResolvedValue(added);
    m.editNote.mockResolvedValue({ ...added, text: "Customer unsure", edited_at: "2025-03-04T12:00:00Z" });
    m.deleteNote.mockResolvedValue(undefined);
    renderDetail();
    const turns = await screen.findAllByTestId("transcript-turn");
    // Someone else's note cannot be edited here.
    const theirs = await screen.findByText("Not mine");
    expect(within(theirs.closest("li") as HTMLElement).queryByTestId("note-edit")).toBeNull();

    fireEvent.click(turns[1] as HTMLElement);
    expect(turns[1]).toHaveClass("turn-selected");
    fireEvent.keyDown(window, { key: "n" });
    const composer = await screen.findByTestId("note-composer");
    expect(composer).toHaveTextContent("turn 2, 1:05");
    fireEvent.change(within(composer).getByTestId("note-text"), { target: { value: "Customer sounds unsure" } });
    fireEvent.keyDown(within(composer).getByTestId("note-text"), { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(m.addNote).toHaveBeenCalledWith(7, "Customer sounds unsure", 1, 65));
    const mine = await screen.findByText("Customer sounds unsure");
    expect(screen.queryByTestId("note-composer")).toBeNull();
    const li = mine.closest("li") as HTMLElement;
    expect(li).toHaveAttribute("data-turn", "1");

    fireEvent.click(within(li).getByTestId("note-edit"));
    fireEvent.change(within(li).getByTestId("note-edit-text"), { target: { value: "Customer unsure" } });
    fireEvent.click(within(li).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(m.editNote).toHaveBeenCalledWith(7, "n9", "Customer unsure"));
    expect(await screen.findByText("Customer unsure")).toBeInTheDocument();

    fireEvent.click(within(screen.getByText("Customer unsure").closest("li") as HTMLElement).getByTestId("note-delete"));
    await waitFor(() => expect(screen.queryByText("Customer unsure")).toBeNull());
    expect(m.deleteNote).toHaveBeenCalledWith(7, "n9");
  });

  it("the button adds a note at the playback time, on the turn playing", async () => {
    m.getCall.mockResolvedValue(callDetail({ recording: readyRecording() }));
    m.getCallReview.mockResolvedValue(review([]));
    m.addNote.mockResolvedValue(note({ id: "n3", turn: 0, at_seconds: 12 }));
    renderDetail();
    const audio = await screen.findByTestId<HTMLAudioElement>("audio-player");
    Object.defineProperty(audio, "readyState", { value: 4, configurable: true });
    audio.currentTime = 12;
    fireEvent.timeUpdate(audio);
    fireEvent.click(screen.getByTestId("note-add"));
    const composer = await screen.findByTestId("note-composer");
    fireEvent.change(within(composer).getByTestId("note-text"), { target: { value: "Here" } });
    fireEvent.click(within(composer).getByTestId("note-save"));
    await waitFor(() => expect(m.addNote).toHaveBeenCalledWith(7, "Here", 0, 12));
  });
});

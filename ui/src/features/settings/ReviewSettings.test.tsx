import { configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setTransport, type Transport } from "../../api/client";
import { createDemoTransport } from "../../api/demo";
import type { Scorecard, TagDef } from "../../api/types";
import { NotifyProvider } from "../../app/notify";
import { ReviewProvider } from "../review/ReviewContext";
import { ReviewerSettings } from "./ReviewerSettings";
import { ScorecardSettings, scorecardProblem } from "./ScorecardSettings";
import { TagSettings } from "./TagSettings";

// The demo answers after 15–45 ms: allow for a slow, shared machine.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });

let demo: Transport;

beforeEach(() => {
  demo = createDemoTransport(new URLSearchParams(""));
  setTransport(demo);
});

function renderSettings() {
  render(
    <NotifyProvider>
      <ReviewProvider>
        <ReviewerSettings />
        <TagSettings />
        <ScorecardSettings />
      </ReviewProvider>
    </NotifyProvider>,
  );
}

describe("review settings", () => {
  it("sets the reviewer through the dialog", async () => {
    renderSettings();
    expect(screen.getByTestId("reviewer-settings")).toHaveTextContent("Not set yet");
    fireEvent.click(screen.getByTestId("reviewer-edit"));
    const dialog = await screen.findByTestId("reviewer-dialog");
    fireEvent.change(within(dialog).getByTestId("reviewer-name"), { target: { value: "Ana" } });
    fireEvent.change(within(dialog).getByTestId("reviewer-email"), { target: { value: "not an email" } });
    fireEvent.click(within(dialog).getByTestId("reviewer-save"));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("email address");
    fireEvent.change(within(dialog).getByTestId("reviewer-email"), { target: { value: "ana@example.com" } });
    fireEvent.click(within(dialog).getByTestId("reviewer-save"));
    // The saved reviewer shows first; the dialog closes once the save's promise settles.
    await waitFor(() => expect(screen.getByTestId("reviewer-settings")).toHaveTextContent("ana@example.com"));
    await waitFor(() => expect(screen.queryByTestId("reviewer-dialog")).toBeNull());
    expect(await demo.invoke("get_reviewer")).toEqual({ name: "Ana", email: "ana@example.com" });
  });

  it("adds, recolours and deletes team tags", async () => {
    renderSettings();
    await waitFor(() => expect(screen.getAllByTestId("tag-row").length).toBe(4));
    fireEvent.change(screen.getByTestId("tag-settings-name"), { target: { value: "<b>vip</b>" } });
    fireEvent.click(screen.getByTestId("tag-settings-add"));
    const row = await waitFor(() => {
      const r = document.querySelector<HTMLElement>('[data-testid="tag-row"][data-tag="<b>vip</b>"]');
      expect(r).not.toBeNull();
      return r as HTMLElement;
    });
    expect(row.querySelector("b")).toBeNull();
    fireEvent.change(within(row).getByLabelText("Colour of <b>vip</b>"), { target: { value: "#112233" } });
    await waitFor(async () => {
      const tags = (await demo.invoke("list_tags")) as TagDef[];
      expect(tags.find((t) => t.name === "<b>vip</b>")?.color).toBe("#112233");
    });
    fireEvent.click(within(row).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(document.querySelector('[data-testid="tag-row"][data-tag="<b>vip</b>"]')).toBeNull());
  });

  it("edits a rubric: questions of each kind, weights and a variable to pre-fill from", async () => {
    renderSettings();
    await screen.findByTestId("scorecard-row");
    fireEvent.click(screen.getByTestId("scorecard-new"));
    const editor = screen.getByTestId("rubric-editor");
    fireEvent.click(within(editor).getByTestId("rubric-save"));
    expect(editor).toHaveTextContent("Give the scorecard a name.");
    fireEvent.change(within(editor).getByLabelText("Scorecard name"), { target: { value: "Compliance" } });
    const [first] = within(editor).getAllByTestId("rubric-question");
    fireEvent.change(within(first as HTMLElement).getByLabelText("Question"), { target: { value: "Said the disclaimer" } });
    fireEvent.change(within(first as HTMLElement).getByLabelText("Weight"), { target: { value: "3" } });
    await within(first as HTMLElement).findByRole("option", { name: "← status" });
    fireEvent.change(within(first as HTMLElement).getByLabelText("Pre-fill from variable"), { target: { value: "status" } });
    fireEvent.click(within(editor).getByTestId("rubric-add-question"));
    const second = within(editor).getAllByTestId("rubric-question")[1] as HTMLElement;
    fireEvent.change(within(second).getByLabelText("Question"), { target: { value: "Tone" } });
    fireEvent.change(within(second).getByLabelText("Answer type"), { target: { value: "choice" } });
    fireEvent.change(within(second).getByLabelText("Choices"), { target: { value: "warm, neutral, cold" } });
    fireEvent.click(within(editor).getByTestId("rubric-save"));
    await waitFor(() => expect(screen.getAllByTestId("scorecard-row")).toHaveLength(2));
    const cards = (await demo.invoke("list_scorecards")) as Scorecard[];
    const saved = cards.find((c) => c.name === "Compliance");
    expect(saved?.questions.map((q) => [q.label, q.kind, q.weight, q.variable, q.choices])).toEqual([
      ["Said the disclaimer", "yes_no", 3, "status", []],
      ["Tone", "choice", 1, null, ["warm", "neutral", "cold"]],
    ]);
  });

  it("explains what a rubric still needs", () => {
    const q = { id: "a", label: "Outcome", kind: "choice" as const, choices: ["one"], weight: 1, variable: null };
    expect(scorecardProblem({ id: "s", name: "S", questions: [] })).toBe("Add at least one question.");
    expect(scorecardProblem({ id: "s", name: "S", questions: [q] })).toBe("“Outcome” needs at least two choices.");
    expect(scorecardProblem({ id: "s", name: "S", questions: [{ ...q, choices: ["a", "b"] }] })).toBeNull();
  });
});

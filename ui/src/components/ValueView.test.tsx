import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ValueView, VariablesTable } from "./ValueView";

describe("ValueView", () => {
  it("renders booleans as yes/no marks", () => {
    const { container, rerender } = render(<ValueView value={true} />);
    expect(container).toHaveTextContent("✓ yes");
    expect(container.querySelector(".v-yes")).not.toBeNull();
    rerender(<ValueView value={false} />);
    expect(container).toHaveTextContent("✗ no");
    expect(container.querySelector(".v-no")).not.toBeNull();
  });

  it("renders numbers, strings and a dimmed null", () => {
    const { container, rerender } = render(<ValueView value={42.5} />);
    expect(container.querySelector(".v-num")).toHaveTextContent("42.5");
    rerender(<ValueView value="hello" />);
    expect(container.querySelector(".v-str")).toHaveTextContent("hello");
    rerender(<ValueView value={null} />);
    expect(container.querySelector(".v-null")).toHaveTextContent("null");
  });

  it("shows nested values collapsed until clicked", () => {
    render(<ValueView value={{ contact_time: "morning", channels: ["sms", "email"] }} />);
    expect(screen.queryByText("morning")).toBeNull();
    const toggle = screen.getByRole("button", { name: /2 keys/ });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    fireEvent.click(toggle);
    expect(screen.getByText("morning")).toBeInTheDocument();
    // The inner array is itself collapsed.
    expect(screen.queryByText("sms")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: /2 items/ }));
    expect(screen.getByText("sms")).toBeInTheDocument();
    fireEvent.click(toggle);
    expect(screen.queryByText("morning")).toBeNull();
  });

  it("shows empty containers without a toggle", () => {
    const { container } = render(<ValueView value={[]} />);
    expect(container).toHaveTextContent("[]");
    expect(screen.queryByRole("button")).toBeNull();
  });
});

describe("VariablesTable", () => {
  it("has one row per key with test ids, numbers right-aligned", () => {
    render(<VariablesTable label="Vars" vars={{ status: true, score: 7, note: "x" }} />);
    const rows = screen.getAllByTestId("variable-row");
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(["status", "score", "note"]);
    const score = rows[1];
    if (!score) throw new Error("no score row");
    expect(within(score).getByText("7").closest("td")).toHaveClass("num");
    expect(rows[2]?.querySelector("td")).not.toHaveClass("num");
  });

  it("says so when there are none", () => {
    render(<VariablesTable label="Vars" vars={{}} />);
    expect(screen.queryByTestId("variable-row")).toBeNull();
    expect(screen.getByText("None")).toBeInTheDocument();
  });
});

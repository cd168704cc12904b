import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Highlight, Marked, searchTerms, splitOnTerms, withoutMarks } from "./Highlight";

describe("search terms", () => {
  it("drops FTS syntax and operators", () => {
    expect(searchTerms('"refund please" AND bill*')).toEqual(["refund", "please", "bill"]);
    expect(searchTerms("   ")).toEqual([]);
  });
});

describe("splitOnTerms", () => {
  it("splits on case-insensitive matches, keeping the original case", () => {
    expect(splitOnTerms("Refund the refund.", ["refund"])).toEqual([
      { text: "Refund", hit: true },
      { text: " the ", hit: false },
      { text: "refund", hit: true },
      { text: ".", hit: false },
    ]);
  });

  it("treats regex characters in terms literally", () => {
    expect(splitOnTerms("costs $5 (five)", ["(five)"]).filter((p) => p.hit)).toEqual([{ text: "(five)", hit: true }]);
  });

  it("returns the text whole without terms", () => {
    expect(splitOnTerms("abc", [])).toEqual([{ text: "abc", hit: false }]);
  });
});

describe("Highlight", () => {
  it("marks hits with <mark> and keeps markup in the text literal", () => {
    const { container } = render(<Highlight text="<b>refund</b> now" terms={["refund"]} />);
    expect(container.querySelector("mark")).toHaveTextContent("refund");
    expect(container.querySelector("b")).toBeNull();
    expect(container).toHaveTextContent("<b>refund</b> now");
  });
});

describe("mark code points in payload text", () => {
  it("are dropped, so text never looks like a hit", () => {
    expect(withoutMarks("a\u0002fake\u0003b")).toBe("afakeb");
    const { container } = render(
      <Marked
        parts={[
          { text: "say \u0002fake\u0003 ", hit: false },
          { text: "refund", hit: true },
        ]}
      />,
    );
    expect([...container.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["refund"]);
    expect(container.textContent).toBe("say fake refund");
  });

  it("are dropped from highlighted text too", () => {
    const { container } = render(<Highlight text={"\u0002x\u0003 refund"} terms={["refund"]} />);
    expect(container.textContent).toBe("x refund");
    expect(container.querySelectorAll("mark")).toHaveLength(1);
  });
});

import { describe, expect, it } from "vitest";
import { csvCell, exportName, toCsv } from "./exportData";

describe("CSV cells", () => {
  it("neutralises what a spreadsheet would run as a formula, but keeps phone numbers", () => {
    expect(csvCell("=HYPERLINK(\"http://evil\")")).toBe("\"'=HYPERLINK(\"\"http://evil\"\")\"");
    expect(csvCell("+cmd|' /C calc'!A0")).toBe("'+cmd|' /C calc'!A0");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell("+1 (555) 010-2000")).toBe("+1 (555) 010-2000");
    expect(csvCell("Spring, 2025")).toBe('"Spring, 2025"');
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(null)).toBe("");
  });

  it("joins rows with CRLF and a header", () => {
    expect(toCsv(["a", "b"], [[1, "x"]])).toBe("a,b\r\n1,x\r\n");
  });

  it("names files after the range", () => {
    expect(exportName("hours", "svg", "2025-03-01", "2025-03-31")).toBe("postcall-hours-2025-03-01-to-2025-03-31.svg");
    expect(exportName("days", "csv")).toBe("postcall-days.csv");
  });
});

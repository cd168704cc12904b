// The dashboard: calls per day stacked by status, the objective rate with its 95% interval,
// durations, calls by weekday × hour, campaigns, assistants, review progress and extracted
// variables, for the call log's current filters and search (see statsQuery.ts; a line says which
// apply). Every figure is aggregated by the back end (`get_stats`: summary tables, or the rows of
// the calls a search or a review filter selects); this only draws them. A click on a day or a
// campaign opens the log filtered to it, the search kept. Each section exports its table as CSV
// and its chart as PNG (uPlot's canvas) or SVG (the heat map).

import { useMemo, useRef, useState, type ReactNode } from "react";
import type uPlot from "uplot";
import { saveExport, toAppError } from "../../api/client";
import { queries, useApiQuery } from "../../api/queries";
import { Spinner } from "../../components/Spinner";
import { formatCount } from "../../format";
import { clock } from "../player/time";
import { viewStateFromJson } from "../calls/viewState";
import { useReview } from "../review/ReviewContext";
import { dailyRate, daySeconds, durationBins, stackByStatus } from "./charts";
import { exportName, svgFile, tables } from "./exportData";
import { FillTrend, NumberSpark } from "./VariableSparks";
import { Heatmap } from "./Heatmap";
import { followedFilters, statsQuery } from "./statsQuery";
import { barPaths, UPlotChart } from "./UPlotChart";
import "./insights.css";

const PALETTE = ["#3b5bdb", "#e8590c", "#2f9e44", "#c2255c", "#7048e8", "#1098ad", "#f59f00", "#868e96"];

const percent = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);

interface Props {
  /** shown: the filters are read again and the figures refreshed */
  active: boolean;
  /** the log's search ("" for none): the figures are those of the calls it matches */
  search?: string;
  onOpenDay: (day: string) => void;
  onOpenCampaign?: (campaign: string) => void;
}

/** A canvas drawn over white (uPlot's is transparent), as base64 PNG without the data-URL prefix. */
function canvasPng(canvas: HTMLCanvasElement): string {
  const out = document.createElement("canvas");
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext("2d");
  if (ctx) {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
  }
  return out.toDataURL("image/png").replace(/^data:image\/png;base64,/, "");
}

export function Dashboard({ active, search = "", onOpenDay, onOpenCampaign }: Props) {
  const reviewer = useReview().reviewer?.email ?? null;
  const [saved, setSaved] = useState<{ ok: boolean; text: string } | null>(null);
  const heatmap = useRef<SVGSVGElement>(null);

  // The log's filters and search, then the figures for them; new calls and reviews re-read them
  // (api/queries.ts).
  const view = useApiQuery({ ...queries.viewState(), enabled: active });
  const filters = useMemo(() => viewStateFromJson(view.data ?? null).filters, [view.data]);
  const query = useMemo(
    () => statsQuery(filters, search, reviewer),
    [filters, search, reviewer],
  );
  const read = useApiQuery({ ...queries.stats(query), enabled: active && view.isSuccess });
  const stats = read.data ?? null;
  const error = read.error ? toAppError(read.error) : null;

  const stacked = useMemo(() => (stats ? stackByStatus(stats.by_day) : null), [stats]);
  const rate = useMemo(() => (stats ? dailyRate(stats.by_day) : null), [stats]);
  const bins = useMemo(() => (stats ? durationBins(stats.duration.histogram) : null), [stats]);

  const dayOptions = useMemo((): Omit<uPlot.Options, "width" | "height"> | null => {
    if (!stacked) return null;
    // Tallest stack first, so each shorter one is drawn over it.
    const series = stacked.statuses
      .map((s, i) => ({
        label: s,
        fill: PALETTE[i % PALETTE.length] ?? "#888",
        stroke: PALETTE[i % PALETTE.length] ?? "#888",
        paths: barPaths,
        points: { show: false },
      }))
      .reverse();
    return { scales: { x: { time: true } }, series: [{}, ...series], legend: { show: true }, cursor: { drag: { x: false, y: false } } };
  }, [stacked]);
  const dayData = useMemo(
    (): uPlot.AlignedData | null => (stacked ? [stacked.x, ...[...stacked.tops].reverse()] : null),
    [stacked],
  );

  const rateOptions = useMemo(
    (): Omit<uPlot.Options, "width" | "height"> => ({
      scales: { x: { time: true }, y: { range: [0, 1] } },
      series: [
        {},
        { label: "achieved", stroke: PALETTE[0], width: 2 },
        { label: "95% low", stroke: "#adb5bd", dash: [4, 4] },
        { label: "95% high", stroke: "#adb5bd", dash: [4, 4] },
      ],
      bands: [{ series: [3, 2], fill: "rgba(59, 91, 219, 0.12)" }],
      axes: [{}, { values: (_u, vals) => vals.map((v) => `${Math.round(v * 100)}%`) }],
    }),
    [],
  );
  const reviewOptions = useMemo(
    (): Omit<uPlot.Options, "width" | "height"> => ({
      scales: { x: { time: true } },
      series: [
        {},
        { label: "reviewed", stroke: PALETTE[2], fill: "rgba(47, 158, 68, 0.12)", width: 2 },
        { label: "flagged", stroke: PALETTE[3], width: 2 },
      ],
    }),
    [],
  );
  const reviewData = useMemo(
    (): uPlot.AlignedData | null =>
      stats ? [stats.review.map((d) => daySeconds(d.day)), stats.review.map((d) => d.reviewed), stats.review.map((d) => d.flagged)] : null,
    [stats],
  );

  const save = (what: string, ext: string, content: string, encoding: "text" | "base64") => {
    saveExport(exportName(what, ext, query.from, query.to), content, encoding)
      .then((path) => setSaved(path ? { ok: true, text: `Saved ${path}` } : null))
      .catch((e: unknown) => setSaved({ ok: false, text: toAppError(e).message }));
  };
  const csv = (what: keyof typeof tables) => () => {
    if (stats) save(what, "csv", tables[what](stats), "text");
  };
  const png = (what: string) => (section: HTMLElement | null) => {
    const canvas = section?.querySelector("canvas");
    if (canvas) save(what, "png", canvasPng(canvas), "base64");
  };

  const histOptions = useMemo(
    (): Omit<uPlot.Options, "width" | "height"> => ({
      scales: { x: { time: false } },
      series: [{ label: "seconds" }, { label: "calls", fill: PALETTE[5], stroke: PALETTE[5], paths: barPaths, points: { show: false } }],
      axes: [{ values: (_u, vals) => vals.map((v) => clock(v)) }, {}],
    }),
    [],
  );

  if (error) {
    return (
      <div className="dashboard">
        <div className="callout callout-error" role="alert">
          {error.message}
        </div>
      </div>
    );
  }
  if (!stats || !stacked || !rate || !bins || !dayOptions || !dayData || !reviewData) {
    return (
      <div className="dashboard placeholder">
        <Spinner />
      </div>
    );
  }
  const r = stats.objective_rate;
  return (
    <div className="dashboard" data-testid="dashboard">
      <header className="dashboard-head">
        <h1>Dashboard</h1>
        <span className="dim small" data-testid="dashboard-follows" title="The log's search and filters">
          {followedFilters(query, filters)}
        </span>
      </header>
      {saved && (
        <div className={`callout ${saved.ok ? "" : "callout-error"} small`} role="status" data-testid="export-status">
          {saved.text}
        </div>
      )}
      <div className="tiles">
        <div className="tile">
          <span className="tile-label">Calls</span>
          <strong data-testid="stat-calls">{formatCount(stats.calls)}</strong>
        </div>
        <div className="tile">
          <span className="tile-label">Objective achieved</span>
          <strong data-testid="stat-rate">{percent(r.rate)}</strong>
          <span className="dim small">
            95%: {percent(r.low)}–{percent(r.high)} of {formatCount(r.judged)}
          </span>
        </div>
        <div className="tile">
          <span className="tile-label">Duration</span>
          <strong>{clock(stats.duration.median)}</strong>
          <span className="dim small">median · p90 {clock(stats.duration.p90)}</span>
        </div>
      </div>
      <Section title="Calls per day by status" id="days" onCsv={csv("days")} onImage={png("calls-per-day")}>
        <UPlotChart
          options={dayOptions}
          data={dayData}
          label="Calls per day, stacked by status"
          onPick={(i) => {
            const day = stacked.days[i];
            if (day) onOpenDay(day);
          }}
        />
        <p className="dim small">Click a day to open its calls in the log.</p>
      </Section>
      <Section title="Objective achieved per day" id="rate" onCsv={csv("days")} onImage={png("objective-rate")}>
        <UPlotChart options={rateOptions} data={[rate.x, rate.rate, rate.low, rate.high]} label="Objective rate per day" />
      </Section>
      <Section title="Durations" id="durations" onCsv={csv("durations")} onImage={png("durations")}>
        <UPlotChart options={histOptions} data={[bins.x, bins.calls]} label="Duration histogram" />
      </Section>
      <Section
        title="When calls come in"
        id="hours"
        onCsv={csv("hours")}
        imageLabel="SVG"
        onImage={() => {
          if (heatmap.current) save("hours", "svg", svgFile(heatmap.current), "text");
        }}
      >
        {stats.by_hour.length === 0 ? (
          <p className="dim small">No calls in this range.</p>
        ) : (
          <>
            <div className="heatmap-box">
              <Heatmap ref={heatmap} cells={stats.by_hour} />
            </div>
            <p className="dim small">Weekday × hour of the day, in this computer's time zone. Hover a cell for its count.</p>
          </>
        )}
      </Section>
      <Section title="By campaign" id="campaigns" onCsv={csv("campaigns")}>
        <table className="table small">
          <thead>
            <tr>
              <th>Campaign</th>
              <th>Calls</th>
              <th>Achieved</th>
            </tr>
          </thead>
          <tbody>
            {stats.by_campaign.map((c) => (
              <tr key={c.campaign ?? ""} data-campaign={c.campaign ?? ""}>
                <td>
                  {c.campaign && onOpenCampaign ? (
                    <button type="button" className="evidence-link" onClick={() => onOpenCampaign(c.campaign ?? "")}>
                      {c.campaign}
                    </button>
                  ) : (
                    (c.campaign ?? "(none)")
                  )}
                </td>
                <td className="mono">{formatCount(c.calls)}</td>
                <td className="mono">{percent(c.rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="By assistant" id="assistants" onCsv={csv("assistants")}>
        <table className="table small" data-testid="by-assistant">
          <thead>
            <tr>
              <th>Assistant phone</th>
              <th>Calls</th>
              <th>Achieved</th>
            </tr>
          </thead>
          <tbody>
            {stats.by_assistant.map((a) => (
              <tr key={a.assistant ?? ""} data-assistant={a.assistant ?? ""}>
                <td className="mono">{a.assistant ?? "(unknown)"}</td>
                <td className="mono">{formatCount(a.calls)}</td>
                <td className="mono">{percent(a.rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Review progress" id="review" onCsv={csv("review")} onImage={stats.review.length > 0 ? png("review-progress") : undefined}>
        {stats.review.length === 0 ? (
          <p className="dim small">No call in this range has been marked reviewed or flagged yet.</p>
        ) : (
          <UPlotChart options={reviewOptions} data={reviewData} label="Calls reviewed and flagged per day" />
        )}
      </Section>
      <Section title="Extracted variables" id="variables" onCsv={csv("variables")}>
        <table className="table small">
          <thead>
            <tr>
              <th>Variable</th>
              <th>Filled</th>
              <th>Top values / distribution</th>
              <th>Fill rate over the range</th>
            </tr>
          </thead>
          <tbody>
            {stats.variables.map((v) => (
              <tr key={v.name} data-variable={v.name}>
                <td className="mono">{v.name}</td>
                <td className="mono">{percent(v.fill_rate)}</td>
                <td>
                  {v.numbers ? (
                    <NumberSpark numbers={v.numbers} />
                  ) : v.free_text ? (
                    <span className="dim">free text</span>
                  ) : (
                    v.top.map((t) => `${t.value} (${t.count})`).join(", ")
                  )}
                </td>
                <td>
                  <FillTrend days={v.by_day} calls={stats.by_day} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}

interface SectionProps {
  title: string;
  id: string;
  onCsv: () => void;
  /** the chart as an image; gets the section's element to find the chart in */
  onImage?: (section: HTMLElement | null) => void;
  imageLabel?: string;
  children: ReactNode;
}

/** A dashboard card with its title and export buttons. */
function Section({ title, id, onCsv, onImage, imageLabel = "PNG", children }: SectionProps) {
  const el = useRef<HTMLElement>(null);
  return (
    <section className="card" ref={el} data-section={id}>
      <div className="card-head">
        <h2>{title}</h2>
        <span className="card-actions">
          <button type="button" className="btn btn-small" data-testid={`export-csv-${id}`} onClick={onCsv} title={`Save the table behind “${title}” as CSV`}>
            CSV
          </button>
          {onImage && (
            <button
              type="button"
              className="btn btn-small"
              data-testid={`export-image-${id}`}
              onClick={() => onImage(el.current)}
              title={`Save “${title}” as ${imageLabel}`}
            >
              {imageLabel}
            </button>
          )}
        </span>
      </div>
      {children}
    </section>
  );
}


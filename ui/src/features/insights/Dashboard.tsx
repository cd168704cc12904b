// The dashboard: calls per day stacked by status, the objective rate with its 95% interval,
// durations, campaigns and extracted variables, for the call log's current filters (date range,
// status, campaign; the other log filters do not apply). Every figure is aggregated by the back
// end from summary tables (`get_stats`); this only draws them. A click on a day opens the log
// filtered to that day.

import { useEffect, useMemo, useState } from "react";
import type uPlot from "uplot";
import { getStats, loadViewState, toAppError } from "../../api/client";
import type { AppError, Stats, StatsQuery } from "../../api/types";
import { Spinner } from "../../components/Spinner";
import { formatCount } from "../../format";
import { clock } from "../player/time";
import { viewStateFromJson } from "../calls/viewState";
import { dailyRate, durationBins, stackByStatus } from "./charts";
import { UPlotChart } from "./UPlotChart";
import "./insights.css";

const PALETTE = ["#3b5bdb", "#e8590c", "#2f9e44", "#c2255c", "#7048e8", "#1098ad", "#f59f00", "#868e96"];

const percent = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);

interface Props {
  /** shown: the filters are read again and the figures refreshed */
  active: boolean;
  onOpenDay: (day: string) => void;
}

export function Dashboard({ active, onOpenDay }: Props) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [query, setQuery] = useState<StatsQuery>({});
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    if (!active) return;
    let stale = false;
    const load = async () => {
      const view = viewStateFromJson(await loadViewState().catch(() => null));
      const f = view.filters;
      const q: StatsQuery = { from: f.from || null, to: f.to || null, campaign: f.campaign || null, statuses: f.statuses };
      const s = await getStats(q);
      if (stale) return;
      setQuery(q);
      setStats(s);
      setError(null);
    };
    load().catch((e: unknown) => {
      if (!stale) setError(toAppError(e));
    });
    return () => {
      stale = true;
    };
  }, [active]);

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
  if (!stats || !stacked || !rate || !bins || !dayOptions || !dayData) {
    return (
      <div className="dashboard placeholder">
        <Spinner />
      </div>
    );
  }
  const r = stats.objective_rate;
  const filters = [
    query.from || query.to ? `${query.from ?? "…"} to ${query.to ?? "…"}` : null,
    query.campaign ? `campaign ${query.campaign}` : null,
    query.statuses && query.statuses.length > 0 ? query.statuses.join(", ") : null,
  ].filter((x): x is string => x !== null);
  return (
    <div className="dashboard" data-testid="dashboard">
      <header className="dashboard-head">
        <h1>Dashboard</h1>
        <span className="dim small">{filters.length > 0 ? `Filters from the log: ${filters.join(" · ")}` : "All calls"}</span>
      </header>
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
      <section className="card">
        <h2>Calls per day by status</h2>
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
      </section>
      <section className="card">
        <h2>Objective achieved per day</h2>
        <UPlotChart options={rateOptions} data={[rate.x, rate.rate, rate.low, rate.high]} label="Objective rate per day" />
      </section>
      <section className="card">
        <h2>Durations</h2>
        <UPlotChart options={histOptions} data={[bins.x, bins.calls]} label="Duration histogram" />
      </section>
      <section className="card">
        <h2>By campaign</h2>
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
              <tr key={c.campaign ?? ""}>
                <td>{c.campaign ?? "(none)"}</td>
                <td className="mono">{formatCount(c.calls)}</td>
                <td className="mono">{percent(c.rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card">
        <h2>Extracted variables</h2>
        <table className="table small">
          <thead>
            <tr>
              <th>Variable</th>
              <th>Filled</th>
              <th>Top values</th>
            </tr>
          </thead>
          <tbody>
            {stats.variables.map((v) => (
              <tr key={v.name} data-variable={v.name}>
                <td className="mono">{v.name}</td>
                <td className="mono">{percent(v.fill_rate)}</td>
                <td>{v.free_text ? <span className="dim">free text</span> : v.top.map((t) => `${t.value} (${t.count})`).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

/** Bars for uPlot series (lazily built: uPlot.paths needs the library loaded). */
function barPaths(u: uPlot, seriesIdx: number, idx0: number, idx1: number): uPlot.Series.Paths | null {
  const ctor = (u.constructor as typeof uPlot).paths.bars;
  return ctor ? ctor({ size: [0.8, 40] })(u, seriesIdx, idx0, idx1) : null;
}

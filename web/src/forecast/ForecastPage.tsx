//! The forecast: the simulated distribution of revenue for the period with its P10–P90 band,
//! the categories (closed, commit, best case, pipeline), the stages and owners behind it, the
//! deals driving the number, and the insights with their actions.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { Bar, BarChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, unwrap, type Schemas } from "../api/client";
import { useWorkspace, wsKey } from "../app/workspace";
import { useForecast, ForecastBand, usePipelineSummary } from "../dashboard/Dashboard";
import { InsightList } from "./Insights";
import { ErrorState, ErrorText, Loading } from "../ui/States";
import { money, percent } from "../ui/format";
import { useUrlParams } from "../ui/useUrlParams";
import { MemberOptions } from "../records/Values";

const TIMEFRAMES: [string, string][] = [
  ["30d", "Next 30 days"],
  ["60d", "Next 60 days"],
  ["90d", "Next 90 days"],
  ["quarter", "This quarter"],
  ["year", "This year"],
];
const CATEGORIES: [keyof Schemas["Forecast"]["by_category"], string][] = [
  ["closed", "Closed"],
  ["commit", "Commit"],
  ["best_case", "Best case"],
  ["pipeline", "Pipeline"],
];

function Distribution({ forecast, currency }: { forecast: Schemas["Forecast"]; currency?: string | null }) {
  const stats = forecast.simulation_stats;
  const data = forecast.histogram.map((band) => ({ mid: (band.from + band.to) / 2, share: band.share, label: `${money(band.from, currency, true)}–${money(band.to, currency, true)}` }));
  return (
    <div className="chart" style={{ height: 280 }} role="img" aria-label={`Distribution of simulated revenue: P10 ${money(stats.p10, currency)}, P50 ${money(stats.p50, currency)}, P90 ${money(stats.p90, currency)}`}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 16, right: 16, bottom: 8, left: 8 }} barCategoryGap={1}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="mid" type="number" domain={["dataMin", "dataMax"]} tickFormatter={(v: number) => money(v, currency, true)} tick={{ fontSize: 12 }} />
          <YAxis tickFormatter={(v: number) => percent(v)} width={44} tick={{ fontSize: 12 }} />
          <Tooltip labelFormatter={(_, payload) => String(payload?.[0]?.payload?.label ?? "")} formatter={(v) => [percent(Number(v), 1), "of outcomes"]} />
          <Bar dataKey="share" fill="#a5b4fc" />
          <ReferenceLine x={stats.p10} stroke="#b54708" strokeDasharray="4 4" label={{ value: "P10", position: "top", fontSize: 12 }} />
          <ReferenceLine x={stats.p50} stroke="var(--accent)" label={{ value: "P50", position: "top", fontSize: 12 }} />
          <ReferenceLine x={stats.p90} stroke="#067647" strokeDasharray="4 4" label={{ value: "P90", position: "top", fontSize: 12 }} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export default function ForecastPage() {
  const workspace = useWorkspace();
  const queryClient = useQueryClient();
  const { params, setParam } = useUrlParams();
  const timeframe = params.get("timeframe") ?? "quarter";
  const pipelineId = params.get("pipeline") ?? "";
  const ownerId = params.get("owner") ?? "";
  const forecast = useForecast(workspace.id, { timeframe, pipeline_id: pipelineId, owner_id: ownerId });
  const refresh = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/workspaces/{workspace_id}/insights/generate", { params: { path: { workspace_id: workspace.id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: wsKey(workspace.id) }),
  });
  const data = forecast.data;
  const currency = usePipelineSummary(workspace.id).data?.currency;
  return (
    <div className="page">
      <header className="page-header">
        <h1>Forecast</h1>
        <div className="toolbar">
          <select aria-label="Period" value={timeframe} onChange={(e) => setParam("timeframe", e.target.value)}>
            {TIMEFRAMES.map(([value, label]) => (
              <option key={value} value={value}>{label}</option>
            ))}
          </select>
          {workspace.pipelines.length > 1 && (
            <select aria-label="Pipeline" value={pipelineId} onChange={(e) => setParam("pipeline", e.target.value)}>
              <option value="">All pipelines</option>
              {workspace.pipelines.map((p) => (
                <option key={p.id} value={p.id}>{p.name}</option>
              ))}
            </select>
          )}
          <select aria-label="Owner" value={ownerId} onChange={(e) => setParam("owner", e.target.value)}>
            <option value="">Everyone</option>
            <MemberOptions />
          </select>
          {workspace.canEdit && (
            <button onClick={() => refresh.mutate()} disabled={refresh.isPending}>
              {refresh.isPending ? "Refreshing…" : "Rescore and refresh insights"}
            </button>
          )}
        </div>
      </header>
      <ErrorText error={refresh.error} />
      {forecast.isPending && <Loading label="Simulating the period" />}
      {forecast.isError && <ErrorState error={forecast.error} onRetry={() => forecast.refetch()} />}
      {data && (
        <>
          <section className="metrics" aria-label="Forecast figures">
            <div className="card metric"><div className="metric-label">Likely (P50)</div><div className="metric-value" data-testid="likely">{money(data.likely_case, currency)}</div></div>
            <div className="card metric"><div className="metric-label">Worst case (P10)</div><div className="metric-value">{money(data.worst_case, currency)}</div></div>
            <div className="card metric"><div className="metric-label">Best case (P90)</div><div className="metric-value">{money(data.best_case, currency)}</div></div>
            <div className="card metric"><div className="metric-label">Already won</div><div className="metric-value">{money(data.closed_won.revenue, currency)}</div><div className="metric-hint">{data.closed_won.deals} deals</div></div>
            <div className="card metric"><div className="metric-label">From deals not yet created</div><div className="metric-value">{money(data.new_business.mean, currency)}</div><div className="metric-hint">expected, from how fast new deals have been won</div></div>
            <div className="card metric"><div className="metric-label">Open deals counted</div><div className="metric-value">{data.deals_analyzed}</div><div className="metric-hint">{data.period.start} to {data.period.end}</div></div>
          </section>
          <section className="card" aria-labelledby="distribution-title">
            <h2 id="distribution-title">Distribution of outcomes</h2>
            <p className="muted">
              {data.simulation_stats.num_simulations.toLocaleString()} simulated periods. Each stage's win rate is uncertain and shared by its deals, so the band is honest about how much could move together.
            </p>
            <ForecastBand forecast={data} currency={currency} />
            <Distribution forecast={data} currency={currency} />
          </section>
          <div className="grid-2">
            <section className="card" aria-labelledby="categories-title">
              <h2 id="categories-title">By category</h2>
              <table className="data">
                <thead><tr><th>Category</th><th>Deals</th><th>Total</th><th>Weighted</th></tr></thead>
                <tbody>
                  {CATEGORIES.map(([key, label]) => {
                    const c = data.by_category[key];
                    return (
                      <tr key={key}><td>{label}</td><td className="num">{c?.deals ?? 0}</td><td className="num">{money(c?.total_value ?? 0, currency)}</td><td className="num">{money(c?.weighted_value ?? 0, currency)}</td></tr>
                    );
                  })}
                </tbody>
              </table>
            </section>
            <section className="card" aria-labelledby="stages-title">
              <h2 id="stages-title">By stage</h2>
              <table className="data">
                <thead><tr><th>Stage</th><th>Deals</th><th>Weighted</th><th>Avg. chance</th></tr></thead>
                <tbody>
                  {data.breakdown_by_stage.map((s) => (
                    <tr key={s.stage_id}><td>{s.stage}</td><td className="num">{s.deals}</td><td className="num">{money(s.weighted_value, currency)}</td><td className="num">{percent(s.avg_probability)}</td></tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
          <section className="card" aria-labelledby="drivers-title">
            <h2 id="drivers-title">Deals driving the number</h2>
            <div className="table-wrap">
              <table className="data">
                <thead><tr><th>Deal</th><th>Stage</th><th>Close date</th><th>Value</th><th>Win</th><th>Closes in period</th><th>Weighted</th></tr></thead>
                <tbody>
                  {data.forecasted_deals.slice(0, 25).map((d) => (
                    <tr key={d.deal_id}>
                      <td><Link to={`/w/${workspace.id}/deals/${d.deal_id}`}>{d.name}</Link>{d.account && <span className="muted"> · {d.account}</span>}</td>
                      <td>{d.stage}</td>
                      <td>{d.close_date ?? "—"}</td>
                      <td className="num">{money(d.value, currency)}</td>
                      <td className="num">{percent(d.win_probability)}</td>
                      <td className="num">{percent(d.close_probability)}</td>
                      <td className="num">{money(d.weighted_value, currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
      <section className="card" aria-labelledby="insights-title">
        <h2 id="insights-title">Insights</h2>
        <InsightList />
      </section>
    </div>
  );
}

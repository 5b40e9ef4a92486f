//! The dashboard: what a manager checks first thing — open pipeline by stage, this quarter's
//! forecast with its P10–P90 band, won and lost, the win rate, overdue tasks and unread insights.

import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, request, unwrap, type Schemas } from "../api/client";
import { queryString } from "../api/records";
import { useWorkspace, wsKey } from "../app/workspace";
import { ErrorState, Loading } from "../ui/States";
import { money, percent } from "../ui/format";
import { InsightList } from "../forecast/Insights";

export function usePipelineSummary(ws: string) {
  return useQuery({
    queryKey: wsKey(ws, "summary"),
    queryFn: () => unwrap(api.GET("/api/v1/workspaces/{workspace_id}/pipeline/summary", { params: { path: { workspace_id: ws } } })),
  });
}

export function useForecast(ws: string, query: { timeframe: string; simulations?: number; pipeline_id?: string; owner_id?: string }) {
  return useQuery({
    queryKey: wsKey(ws, "forecast", query),
    queryFn: async (): Promise<Schemas["Forecast"]> => (await request(`/api/v1/workspaces/${ws}/forecast${queryString(query)}`)).json(),
  });
}

function Metric({ label, value, hint, to }: { label: string; value: string; hint?: string; to?: string }) {
  const body = (
    <>
      <div className="metric-label">{label}</div>
      <div className="metric-value">{value}</div>
      {hint && <div className="metric-hint">{hint}</div>}
    </>
  );
  return to ? <Link className="card metric" to={to}>{body}</Link> : <div className="card metric">{body}</div>;
}

/** The forecast's likely figure on a bar from P10 to P90, scaled to the best case. */
export function ForecastBand({ forecast, currency }: { forecast: Schemas["Forecast"]; currency?: string | null }) {
  const stats = forecast.simulation_stats;
  const top = Math.max(stats.p95, 1);
  const at = (value: number) => `${Math.min(100, (value / top) * 100)}%`;
  return (
    <div className="band" role="img" aria-label={`Likely ${money(stats.p50, currency)}, between ${money(stats.p10, currency)} (P10) and ${money(stats.p90, currency)} (P90)`}>
      <div className="band-track">
        <div className="band-range" style={{ left: at(stats.p10), width: `calc(${at(stats.p90)} - ${at(stats.p10)})` }} />
        <div className="band-marker" style={{ left: at(stats.p50) }} />
      </div>
      <div className="band-labels">
        <span>Worst {money(forecast.worst_case, currency, true)}</span>
        <strong>Likely {money(forecast.likely_case, currency, true)}</strong>
        <span>Best {money(forecast.best_case, currency, true)}</span>
      </div>
    </div>
  );
}

export function Dashboard() {
  const workspace = useWorkspace();
  const summary = usePipelineSummary(workspace.id);
  const forecast = useForecast(workspace.id, { timeframe: "quarter", simulations: 5000 });
  if (summary.isPending) return <Loading label="Loading dashboard" />;
  if (summary.isError) return <ErrorState error={summary.error} onRetry={() => summary.refetch()} />;
  const data = summary.data;
  const currency = data.currency;
  const stageRows = workspace.pipelines.flatMap((pipeline) =>
    pipeline.stages
      .filter((stage) => stage.kind === "open" || stage.kind === undefined)
      .map((stage) => {
        const total = data.open_by_stage.find((s) => s.stage_id === stage.id);
        return { stage: workspace.pipelines.length > 1 ? `${pipeline.name}: ${stage.name}` : stage.name, value: total?.value ?? 0, deals: total?.deals ?? 0 };
      }),
  );
  const openValue = data.open_by_stage.reduce((sum, s) => sum + s.value, 0);
  const openDeals = data.open_by_stage.reduce((sum, s) => sum + s.deals, 0);
  return (
    <div className="page">
      <header className="page-header">
        <h1>Dashboard</h1>
        <span className="muted">
          This quarter: {data.period.start} to {data.period.end}
        </span>
      </header>
      <section className="metrics" aria-label="Key figures">
        <Metric label="Open pipeline" value={money(openValue, currency, true)} hint={`${openDeals} open deals`} to={`/w/${workspace.id}/board`} />
        <Metric label="Won this quarter" value={money(data.won.value, currency, true)} hint={`${data.won.deals} deals`} to={`/w/${workspace.id}/deals?status=won`} />
        <Metric label="Lost this quarter" value={money(data.lost.value, currency, true)} hint={`${data.lost.deals} deals`} to={`/w/${workspace.id}/deals?status=lost`} />
        <Metric label="Win rate" value={percent(data.win_rate)} hint="won ÷ closed this quarter" />
        <Metric label="Overdue tasks" value={String(data.overdue_tasks)} hint={`${data.my_overdue_tasks} yours · ${data.open_tasks} open`} to={`/w/${workspace.id}/tasks`} />
        <Metric label="Unread insights" value={String(data.unread_insights)} to={`/w/${workspace.id}/forecast`} />
      </section>
      <div className="grid-2">
        <section className="card" aria-labelledby="forecast-title">
          <h2 id="forecast-title">Forecast this quarter</h2>
          {forecast.isPending && <Loading label="Simulating" />}
          {forecast.isError && <ErrorState error={forecast.error} />}
          {forecast.data && (
            <>
              <div className="forecast-figure">{money(forecast.data.likely_case, currency)}</div>
              <p className="muted">
                Likely revenue, including {money(forecast.data.closed_won.revenue, currency, true)} already won. 80% of outcomes fall between P10 and P90.
              </p>
              <ForecastBand forecast={forecast.data} currency={currency} />
              <Link to={`/w/${workspace.id}/forecast`}>Open the forecast →</Link>
            </>
          )}
        </section>
        <section className="card" aria-labelledby="stages-title">
          <h2 id="stages-title">Open pipeline by stage</h2>
          <div className="chart" style={{ height: 260 }}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={stageRows} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="stage" tick={{ fontSize: 12 }} interval={0} />
                <YAxis tickFormatter={(v: number) => money(v, currency, true)} width={64} tick={{ fontSize: 12 }} />
                <Tooltip formatter={(v) => money(Number(v), currency)} />
                <Bar dataKey="value" name="Value" fill="var(--accent)" radius={[4, 4, 0, 0]} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </section>
      </div>
      <section className="card" aria-labelledby="insights-title">
        <h2 id="insights-title">Unread insights</h2>
        <InsightList unreadOnly limit={5} />
      </section>
    </div>
  );
}

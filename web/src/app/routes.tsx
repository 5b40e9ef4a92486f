//! Every screen's address. Workspace screens live under /w/:ws, so a link to a record or a
//! filtered table can be shared with a colleague.

import { createBrowserRouter, Navigate } from "react-router";
import { Layout, FirstWorkspace } from "./Layout";
import { Login, Signup } from "../auth/AuthPages";
import { Dashboard } from "../dashboard/Dashboard";

const lazy = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({ Component: (await load()).default });

export const router = createBrowserRouter([
  { path: "/login", element: <Login /> },
  { path: "/signup", element: <Signup /> },
  { path: "/", element: <FirstWorkspace /> },
  {
    path: "/w/:ws",
    element: <Layout />,
    children: [
      { index: true, element: <Dashboard /> },
      { path: "board", lazy: lazy(() => import("../board/Board")) },
      { path: "tasks", lazy: lazy(() => import("../tasks/Tasks")) },
      { path: "forecast", lazy: lazy(() => import("../forecast/ForecastPage")) },
      { path: "imports", lazy: lazy(() => import("../imports/ImportList")) },
      { path: "imports/new", lazy: lazy(() => import("../imports/ImportWizard")) },
      { path: "imports/:id", lazy: lazy(() => import("../imports/ImportWizard")) },
      { path: "settings", lazy: lazy(() => import("../settings/Settings")) },
      { path: ":object", lazy: lazy(() => import("../tables/RecordTable")) },
      { path: ":object/:id", lazy: lazy(() => import("../records/RecordPage")) },
    ],
  },
  { path: "*", element: <Navigate to="/" replace /> },
]);

//! A screen's state kept in the address (filters, sort, search, tabs), so a view can be
//! bookmarked or shared: read with `params`, change one with `setParam` (empty removes it).

import { useSearchParams } from "react-router";

export function useUrlParams() {
  const [params, setParams] = useSearchParams();
  /** `push` adds a history entry (Back returns to the previous state); otherwise it is replaced. */
  const setParam = (name: string, value: string, { push = false, drop = [] as string[] } = {}) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    for (const other of drop) next.delete(other);
    setParams(next, { replace: !push });
  };
  return { params, setParams, setParam };
}

//! Choosing a related record (a deal's or contact's account, a deal's contacts): type part of
//! a name, pick from the matches (arrow keys and Enter work), or clear it. Shows the record's
//! name, never its id.

import { useId, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { get, list } from "../api/records";
import { useWorkspace, wsKey } from "../app/workspace";
import { OBJECTS } from "../tables/objects";

export type Pickable = "accounts" | "contacts";

const SORT: Record<Pickable, string> = { accounts: "name", contacts: "last_name" };

const label = (object: Pickable, record: Record<string, unknown>) => OBJECTS[object].label(record as never);

export function useRecordName(object: Pickable, id: string | null | undefined): string | undefined {
  const workspace = useWorkspace();
  const record = useQuery({
    queryKey: wsKey(workspace.id, object, id),
    queryFn: () => get(workspace.id, object, id ?? ""),
    enabled: !!id,
  });
  if (!id) return undefined;
  if (record.data) return label(object, record.data);
  return record.isError ? `Unknown ${OBJECTS[object].singular}` : "…";
}

export function RecordPicker({ object, value, onChange, label: name, none = `No ${OBJECTS[object].singular}` }: {
  object: Pickable;
  value: string;
  onChange: (id: string) => void;
  label: string;
  /** The choice that clears it, or `null` when there is none. */
  none?: string | null;
}) {
  const workspace = useWorkspace();
  const listId = useId();
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const current = useRecordName(object, value) ?? "";
  const matches = useQuery({
    queryKey: wsKey(workspace.id, object, "pick", text),
    queryFn: () => list(workspace.id, object, { q: text || undefined, limit: 8, sort: SORT[object] }),
    enabled: open,
  });
  const options = [
    ...(matches.data?.items.map((r) => ({ id: r.id, name: label(object, r) })) ?? []),
    ...(none === null ? [] : [{ id: "", name: none }]),
  ];
  const choose = (id: string) => {
    onChange(id);
    setOpen(false);
    setText("");
  };
  return (
    <div className="picker">
      <input
        role="combobox"
        aria-label={name}
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && options.length ? `${listId}-${active}` : undefined}
        value={open ? text : current}
        placeholder={open ? current || `Search ${object}` : (none ?? `Search ${object}`)}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onChange={(e) => {
          setText(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") setActive((i) => Math.min(options.length - 1, i + 1));
          else if (e.key === "ArrowUp") setActive((i) => Math.max(0, i - 1));
          else if (e.key === "Enter" && open && options[active]) choose(options[active].id);
          else if (e.key === "Escape") setOpen(false);
          else return;
          e.preventDefault();
        }}
      />
      {open && (
        <ul className="picker-options" role="listbox" id={listId} aria-label={`${name} matches`}>
          {options.map((option, index) => (
            <li
              key={option.id || "none"}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(option.id);
              }}
            >
              {option.name}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

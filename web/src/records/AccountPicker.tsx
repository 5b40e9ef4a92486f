//! Choosing an account for a deal or a contact: type part of a name, pick from the matches
//! (arrow keys and Enter work), or clear it. Shows the chosen account's name, never its id.

import { useId, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { get, list } from "../api/records";
import { useWorkspace, wsKey } from "../app/workspace";

export function useAccountName(id: string | null | undefined): string | undefined {
  const workspace = useWorkspace();
  const account = useQuery({
    queryKey: wsKey(workspace.id, "accounts", id),
    queryFn: () => get(workspace.id, "accounts", id ?? ""),
    enabled: !!id,
  });
  return id ? (account.data?.name ?? (account.isError ? "Unknown account" : "…")) : undefined;
}

export function AccountPicker({ value, onChange, label }: { value: string; onChange: (id: string) => void; label: string }) {
  const workspace = useWorkspace();
  const listId = useId();
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const name = useAccountName(value) ?? "";
  const matches = useQuery({
    queryKey: wsKey(workspace.id, "accounts", "pick", text),
    queryFn: () => list(workspace.id, "accounts", { q: text || undefined, limit: 8, sort: "name" }),
    enabled: open,
  });
  const options = [...(matches.data?.items.map((a) => ({ id: a.id, name: a.name })) ?? []), { id: "", name: "No account" }];
  const choose = (id: string) => {
    onChange(id);
    setOpen(false);
    setText("");
  };
  return (
    <div className="picker">
      <input
        role="combobox"
        aria-label={label}
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open ? `${listId}-${active}` : undefined}
        value={open ? text : name}
        placeholder={open ? name || "Search accounts" : "No account"}
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
          else if (e.key === "Enter" && open) choose(options[active]?.id ?? value);
          else if (e.key === "Escape") setOpen(false);
          else return;
          e.preventDefault();
        }}
      />
      {open && (
        <ul className="picker-options" role="listbox" id={listId} aria-label={`${label} matches`}>
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

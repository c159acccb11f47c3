/**
 * The message box: Enter sends (Shift+Enter a new line), a leading `/` runs a slash command with
 * autocomplete from the commands registered in the team, files can be attached.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useStore } from "../use-store";

export function Composer(props: { label: string; placeholder: string; rootId?: string }) {
  const store = useStore();
  const [text, setText] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [picked, setPicked] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const trigger = /^\/(\S*)$/.exec(text)?.[1];
  const suggestions =
    trigger === undefined
      ? []
      : store.state.commands.filter((c) => c.trigger.startsWith(trigger.toLowerCase()));
  const typedCommand = /^\/(\S+)\s/.exec(text)?.[1];
  const hint = typedCommand
    ? store.state.commands.find((c) => c.trigger === typedCommand)
    : undefined;
  const listId = `commands-${props.rootId ?? "channel"}`;
  const box = useRef<HTMLTextAreaElement>(null);
  const draft = props.rootId ? undefined : store.state.draft;
  useEffect(() => {
    if (draft === undefined) return;
    store.state.draft = undefined;
    setText(draft);
    box.current?.focus();
  }, [draft]);

  const send = async () => {
    if (!text.trim() && files.length === 0) return;
    if (await store.send(text.trim(), { rootId: props.rootId, files })) {
      setText("");
      setFiles([]);
    }
  };
  const complete = (index: number) => {
    const command = suggestions[index];
    if (command) setText(`/${command.trigger} `);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (suggestions.length > 0 && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      setPicked(
        (picked + (e.key === "ArrowDown" ? 1 : suggestions.length - 1)) % suggestions.length,
      );
    } else if (
      suggestions.length > 0 &&
      (e.key === "Tab" || (e.key === "Enter" && `/${suggestions[picked]?.trigger}` !== text))
    ) {
      e.preventDefault();
      complete(picked);
    } else if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    }
  };
  return (
    <div class="composer">
      {suggestions.length > 0 && (
        <ul class="suggestions" role="listbox" id={listId} aria-label="Slash commands">
          {suggestions.map((c, i) => (
            <li
              key={c.trigger}
              role="option"
              aria-selected={i === picked}
              onMouseDown={(e) => (e.preventDefault(), complete(i))}
            >
              <strong>/{c.trigger}</strong> <span class="hint">{c.auto_complete_hint}</span>
              <div class="description">{c.auto_complete_desc || c.description}</div>
            </li>
          ))}
        </ul>
      )}
      {hint && (
        <div class="command-hint">
          /{hint.trigger} {hint.auto_complete_hint}
        </div>
      )}
      {files.length > 0 && (
        <ul class="pending-files" aria-label="Files to send">
          {files.map((f) => (
            <li key={f.name}>
              📎 {f.name}{" "}
              <button class="quiet" onClick={() => setFiles(files.filter((x) => x !== f))}>
                Remove {f.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="box">
        <textarea
          ref={box}
          aria-label={props.label}
          placeholder={props.placeholder}
          rows={1}
          value={text}
          aria-autocomplete="list"
          aria-controls={suggestions.length > 0 ? listId : undefined}
          onInput={(e) => {
            setText((e.target as HTMLTextAreaElement).value);
            setPicked(0);
            if (!(e.target as HTMLTextAreaElement).value.startsWith("/"))
              store.typing(props.rootId);
          }}
          onKeyDown={onKeyDown}
        />
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          onChange={(e) => setFiles([...files, ...((e.target as HTMLInputElement).files ?? [])])}
        />
        <button class="quiet" title="Attach files" onClick={() => fileInput.current?.click()}>
          Attach files
        </button>
        <button class="primary" onClick={() => void send()}>
          Send
        </button>
      </div>
    </div>
  );
}

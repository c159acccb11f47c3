/**
 * An interactive dialog (the `open_dialog` event) as a form: text, textarea, select (static,
 * users, channels), bool and radio elements; required fields and lengths are checked first, as
 * the web app does, then the integration's own field errors are shown under their fields.
 */
import { useState } from "preact/hooks";
import type { DialogElement } from "../types";
import { useStore } from "../use-store";

export function DialogForm() {
  const store = useStore();
  const open = store.state.dialog!;
  const { dialog } = open.opened;
  const elements = dialog.elements ?? [];
  const [values, setValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(
      elements.map((e) => [e.name, e.type === "bool" ? e.default === "true" : e.default]),
    ),
  );
  const [local, setLocal] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const errors = { ...open.errors, ...local };

  const submit = async (e: Event) => {
    e.preventDefault();
    const found = checkLocally(elements, values);
    setLocal(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    const submission = Object.fromEntries(
      elements.filter((el) => values[el.name] !== "").map((el) => [el.name, values[el.name]]),
    );
    await store.submitDialog(submission);
    setBusy(false);
  };
  return (
    <div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
        <form onSubmit={(e) => void submit(e)}>
          <h2 id="dialog-title">{dialog.title}</h2>
          {dialog.introduction_text && <p class="intro">{dialog.introduction_text}</p>}
          {elements.map((el) => (
            <Field
              key={el.name}
              element={el}
              value={values[el.name] ?? ""}
              error={errors[el.name]}
              onChange={(v) => setValues({ ...values, [el.name]: v })}
            />
          ))}
          {open.error && (
            <p class="error" role="alert">
              {open.error}
            </p>
          )}
          <div class="dialog-buttons">
            <button type="button" onClick={() => void store.submitDialog({}, true)}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={busy}>
              {dialog.submit_label || "Submit"}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}

function Field(props: {
  element: DialogElement;
  value: string | boolean;
  error?: string;
  onChange: (value: string | boolean) => void;
}) {
  const store = useStore();
  const s = store.state;
  const el = props.element;
  const id = `field-${el.name}`;
  const described =
    [props.error && `${id}-error`, el.help_text && `${id}-help`].filter(Boolean).join(" ") ||
    undefined;
  const common = {
    id,
    "aria-describedby": described,
    "aria-invalid": props.error ? true : undefined,
  };
  const text = String(props.value);
  let input;
  if (el.type === "select") {
    const options =
      el.data_source === "users"
        ? [...s.users.values()].map((u) => ({ text: u.username, value: u.id }))
        : el.data_source === "channels"
          ? s.channels
              .filter((c) => c.type === "O")
              .map((c) => ({ text: c.display_name, value: c.id }))
          : (el.options ?? []);
    input = (
      <select
        {...common}
        value={text}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        <option value="">{el.placeholder || "(none)"}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.text}
          </option>
        ))}
      </select>
    );
  } else if (el.type === "textarea") {
    input = (
      <textarea
        {...common}
        value={text}
        placeholder={el.placeholder}
        maxLength={el.max_length || undefined}
        onInput={(e) => props.onChange((e.target as HTMLTextAreaElement).value)}
      />
    );
  } else if (el.type === "bool") {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={props.value === true}
        onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
      />
    );
  } else if (el.type === "radio") {
    return (
      <fieldset class="field">
        <legend>
          {el.display_name}
          {el.optional ? " (optional)" : ""}
        </legend>
        {(el.options ?? []).map((o) => (
          <label key={o.value}>
            <input
              type="radio"
              name={el.name}
              value={o.value}
              checked={text === o.value}
              onChange={() => props.onChange(o.value)}
            />{" "}
            {o.text}
          </label>
        ))}
        {props.error && (
          <div class="error" id={`${id}-error`}>
            {props.error}
          </div>
        )}
      </fieldset>
    );
  } else {
    const type = (
      ["email", "number", "password", "tel", "url"].includes(el.subtype) ? el.subtype : "text"
    ) as "text";
    input = (
      <input
        {...common}
        type={type}
        value={text}
        placeholder={el.placeholder}
        maxLength={el.max_length || undefined}
        onInput={(e) => props.onChange((e.target as HTMLInputElement).value)}
      />
    );
  }
  return (
    <div class={`field${props.error ? " invalid" : ""}`}>
      <label for={id}>
        {el.display_name}
        {el.optional ? " (optional)" : ""}
      </label>
      {input}
      {props.error && (
        <div class="error" id={`${id}-error`}>
          {props.error}
        </div>
      )}
      {el.help_text && (
        <div class="help" id={`${id}-help`}>
          {el.help_text}
        </div>
      )}
    </div>
  );
}

/** What the web app refuses before sending: a required field left empty, a length out of bounds. */
function checkLocally(
  elements: DialogElement[],
  values: Record<string, string | boolean>,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const el of elements) {
    const value = values[el.name];
    if (el.type === "bool") continue;
    const text = typeof value === "string" ? value : "";
    if (!el.optional && text.trim() === "") errors[el.name] = "This field is required.";
    else if (text !== "" && el.min_length > 0 && text.length < el.min_length)
      errors[el.name] = `Must be at least ${el.min_length} characters.`;
  }
  return errors;
}

// The scenario studio's editor: CodeMirror 6 with YAML highlighting, the
// server validator's diagnostics as lint marks, and completion of field
// names and enum values from the scenario JSON Schema. Bundled by
// `make studio-bundle` into ui/web/static/studio/editor.js; the page
// (studio-edit.js) imports createEditor from there.
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching } from "@codemirror/language";
import { yaml } from "@codemirror/lang-yaml";
import { linter, lintGutter, forceLinting } from "@codemirror/lint";
import { autocompletion, completionKeymap } from "@codemirror/autocomplete";
import { searchKeymap } from "@codemirror/search";

// pathAt returns the YAML key path of the cursor at pos, read from
// indentation alone (the text is often invalid while typed): each
// less-indented "key:" above is a parent, a "- " item an array step ("[]").
// It also says whether the cursor is in a key or in the value of "key: ".
export function pathAt(doc, pos) {
  const line = doc.lineAt(pos);
  const before = line.text.slice(0, pos - line.from);
  let m = /^(\s*)(- )?([A-Za-z_][\w-]*)?$/.exec(before);
  let key = null, inValue = false, prefix = "";
  if (m) {
    prefix = m[3] || "";
  } else if ((m = /^(\s*)(- )?([A-Za-z_][\w-]*):[ \t]*([^\s#]*)$/.exec(before))) {
    key = m[3]; inValue = true; prefix = m[4];
  } else {
    return null;
  }
  const path = [];
  let need = { list: false, col: m[1].length + (m[2] ? 2 : 0) };
  if (m[2]) { path.unshift("[]"); need = { list: true, col: m[1].length }; }
  for (let n = line.number - 1; n >= 1 && (need.list || need.col > 0); n--) {
    const t = doc.line(n).text;
    const lm = /^(\s*)(- )?(?:([A-Za-z_][\w-]*):(.*))?$/.exec(t);
    if (!lm || !t.trim() || /^\s*#/.test(t)) continue;
    const ind = lm[1].length, dash = !!lm[2], k = lm[3];
    const keyCol = ind + (dash ? 2 : 0);
    const opens = k && !/\S/.test((lm[4] || "").replace(/#.*$/, "")) || k && /^\s*[|>]/.test(lm[4] || "");
    if (!need.list) {
      if (k && dash && keyCol === need.col) { path.unshift("[]"); need = { list: true, col: ind }; continue; }
      if (keyCol >= need.col) continue;
    } else {
      if (dash && ind === need.col) continue;
      if (keyCol > need.col) continue;
    }
    if (!k || !opens) return { path, key, inValue, prefix, partial: true };
    path.unshift(k);
    if (dash) { path.unshift("[]"); need = { list: true, col: ind }; } else { need = { list: false, col: keyCol }; }
  }
  return { path, key, inValue, prefix };
}

// schemaAt walks the schema along path, following $ref, items and the
// branches of allOf/anyOf/oneOf.
export function schemaAt(schema, path) {
  let nodes = [schema];
  for (const step of path) {
    const next = [];
    for (const n of nodes.flatMap((x) => expand(schema, x))) {
      if (step === "[]") {
        if (n.items) next.push(n.items);
      } else if (n.properties && n.properties[step]) {
        next.push(n.properties[step]);
      } else if (n.additionalProperties && typeof n.additionalProperties === "object") {
        next.push(n.additionalProperties);
      }
    }
    nodes = next;
  }
  return nodes.flatMap((x) => expand(schema, x));
}

function expand(root, n, depth = 0) {
  if (!n || typeof n !== "object" || depth > 8) return [];
  let out = [n];
  if (n.$ref && n.$ref.startsWith("#/")) {
    let t = root;
    for (const p of n.$ref.slice(2).split("/")) t = t ? t[p] : undefined;
    out = out.concat(expand(root, t, depth + 1));
  }
  for (const k of ["allOf", "anyOf", "oneOf"]) {
    if (Array.isArray(n[k])) for (const s of n[k]) out = out.concat(expand(root, s, depth + 1));
  }
  if (n.then) out = out.concat(expand(root, n.then, depth + 1));
  return out;
}

// completionsFor lists what may be typed at pos: the properties of the
// object there, or the enum/const values of the field being given a value.
export function completionsFor(schema, doc, pos) {
  const at = pathAt(doc, pos);
  if (!at) return null;
  const from = pos - at.prefix.length;
  if (at.inValue) {
    const values = new Set();
    for (const n of schemaAt(schema, [...at.path, at.key])) {
      if (Array.isArray(n.enum)) n.enum.forEach((v) => values.add(String(v)));
      if (n.const !== undefined) values.add(String(n.const));
      if (n.type === "boolean") { values.add("true"); values.add("false"); }
    }
    if (!values.size) return null;
    return { from, options: [...values].map((v) => ({ label: v, type: "enum" })) };
  }
  const props = new Map();
  for (const n of schemaAt(schema, at.path)) {
    for (const [k, v] of Object.entries(n.properties || {})) {
      if (!props.has(k)) props.set(k, v.description || "");
    }
  }
  if (!props.size) return null;
  return {
    from,
    options: [...props].map(([k, d]) => ({ label: k, apply: k + ": ", type: "property", info: d || undefined })),
    validFor: /^[\w-]*$/,
  };
}

// toDiagnostics turns the validator's problems (1-based line and column)
// into CodeMirror diagnostics on the current document.
function toDiagnostics(doc, problems) {
  return problems.map((p) => {
    const ln = doc.line(Math.min(Math.max(p.line || 1, 1), doc.lines));
    const from = Math.min(ln.from + Math.max((p.column || 1) - 1, 0), ln.to);
    let to = from;
    const rest = doc.sliceString(from, ln.to);
    const word = /^[^\s:]+/.exec(rest);
    to = word ? from + word[0].length : ln.to;
    return { from, to, severity: p.severity === "warning" ? "warning" : "error", message: (p.path ? p.path + ": " : "") + p.message };
  });
}

// theme follows the page's colours (CSS custom properties inherit into the
// editor's shadow root) and gives Korean text a CJK monospace font.
const theme = EditorView.theme({
  "&": { height: "70vh", fontSize: "14px", color: "var(--text)", backgroundColor: "var(--panel)" },
  ".cm-scroller": { fontFamily: 'ui-monospace, "Noto Sans Mono CJK KR", "Noto Sans Mono CJK JP", monospace', lineHeight: "1.55" },
  ".cm-gutters": { backgroundColor: "var(--bg)", color: "var(--muted)", borderRight: "1px solid var(--line)" },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--accent) 8%, transparent)" },
  ".cm-activeLineGutter": { backgroundColor: "color-mix(in srgb, var(--accent) 12%, transparent)" },
  ".cm-content": { caretColor: "var(--text)" },
  ".cm-tooltip": { backgroundColor: "var(--panel)", color: "var(--text)", border: "1px solid var(--line)" },
});

// createEditor makes the editor in parent, inside a shadow root of its
// own: CodeMirror's styles are then constructed style sheets, which the
// page's Content-Security-Policy (style-src 'self', no inline style)
// allows, where a <style> element would be refused. opts: doc (text), schema (the
// scenario JSON Schema, for completion), validate(text) → Promise of
// problems [{line, column, severity, message, path}], onChange(text),
// readOnly, delay (ms of quiet before validating).
export function createEditor(parent, opts) {
  const lint = linter(async (view) => {
    const text = view.state.doc.toString();
    let problems;
    try {
      problems = await opts.validate(text);
    } catch (e) {
      return [];
    }
    if (view.state.doc.toString() !== text) return [];
    return toDiagnostics(view.state.doc, problems || []);
  }, { delay: opts.delay || 500 });
  const complete = autocompletion({
    override: [(ctx) => (opts.schema ? completionsFor(opts.schema, ctx.state.doc, ctx.pos) : null)],
  });
  const state = EditorState.create({
    doc: opts.doc || "",
    extensions: [
      lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), drawSelection(),
      history(), indentOnInput(), bracketMatching(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      yaml(), lint, lintGutter(), complete, theme,
      EditorView.lineWrapping,
      EditorState.tabSize.of(2),
      EditorState.readOnly.of(!!opts.readOnly),
      EditorView.contentAttributes.of({ "aria-label": opts.label || "Scenario YAML", spellcheck: "false", autocapitalize: "off" }),
      keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...searchKeymap]),
      EditorView.updateListener.of((u) => { if (u.docChanged && opts.onChange) opts.onChange(u.state.doc.toString()); }),
    ],
  });
  const root = parent.shadowRoot || parent.attachShadow({ mode: "open" });
  const view = new EditorView({ state, parent: root, root });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(t) { view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } }); },
    relint() { forceLinting(view); },
    goTo(line, column) {
      const ln = view.state.doc.line(Math.min(Math.max(line, 1), view.state.doc.lines));
      const pos = Math.min(ln.from + Math.max(column - 1, 0), ln.to);
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      view.focus();
    },
  };
}

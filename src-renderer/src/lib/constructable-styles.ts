// xterm.js writes its theme and cell metrics into <style> elements and colours cells
// with style attributes, both of which our CSP (style-src 'self', no 'unsafe-inline')
// refuses. CSSOM is allowed: style elements made through this shim route their text
// into an adopted CSSStyleSheet (through a stand-in element), and spans' style attributes go to element.style.
// Installed once, before xterm runs.
let installed = false;

export function installConstructableStyles(doc: Document): void {
  if (installed) return;
  installed = true;
  const create = doc.createElement.bind(doc) as (tag: string, options?: ElementCreationOptions) => HTMLElement;
  const patched = (tag: string, options?: ElementCreationOptions): HTMLElement => {
    const lower = tag.toLowerCase();
    // Chromium checks any <style> element put in the page against the CSP, even an empty
    // one of another type: hand out an inert <template> that stands in for it.
    const el = create(lower === 'style' ? 'template' : tag, options);
    if (lower === 'style') adopt(doc, el);
    // xterm's DOM renderer colours cells with setAttribute('style', …): do it through CSSOM.
    if (lower === 'span') el.setAttribute = styleThroughCssom(el);
    return el;
  };
  Object.defineProperty(doc, 'createElement', { value: patched, configurable: true, writable: true });
}

function styleThroughCssom(el: HTMLElement): (name: string, value: string) => void {
  const set = el.setAttribute.bind(el);
  return (name, value) => {
    if (name.toLowerCase() === 'style') el.style.cssText = value;
    else set(name, value);
  };
}

function adopt(doc: Document, el: HTMLElement): void {
  el.dataset.novaStyle = '';
  const sheet = new CSSStyleSheet();
  let text = '';
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  Object.defineProperty(el, 'textContent', {
    configurable: true,
    get: () => text,
    set: (value: string | null) => {
      text = value ?? '';
      sheet.replaceSync(text);
    },
  });
  const remove = el.remove.bind(el);
  el.remove = () => {
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
    remove();
  };
}

/**
 * Everything a container printed is data. These make it inert in each output format:
 * ANSI escape sequences are removed, other control characters shown as \uXXXX, and
 * markup characters escaped.
 */

/* eslint-disable no-control-regex -- matching control characters is the point here */
// CSI, OSC and two-character escape sequences.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
// C0 controls except tab and newline, DEL, C1 controls, and lone surrogates.
const CONTROL =
  /[\x00-\x08\x0b-\x1f\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;
/* eslint-enable no-control-regex */

/** Plain text with escape sequences dropped and control characters made visible. */
export function sanitizeText(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function escapeHtml(text: string): string {
  return sanitizeText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Valid in XML 1.0 text and attribute values. */
export function escapeXml(text: string): string {
  return escapeHtml(text).replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** XML text content, keeping newlines readable. */
export function escapeXmlText(text: string): string {
  return escapeHtml(text);
}

/** Safe inside a Markdown table cell or list item: no markup, no HTML, no line breaks. */
export function escapeMarkdown(text: string): string {
  return sanitizeText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+!|~])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}

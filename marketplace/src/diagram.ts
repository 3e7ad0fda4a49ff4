// The architecture diagram, generated from text: marketplace/architecture.dot (Graphviz) rendered to
// SVG with @viz-js/viz (Graphviz compiled to WebAssembly; no binaries, no browser).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DOT_FILE = path.join(__dirname, '..', 'architecture.dot');

export async function renderDiagram(dot = fs.readFileSync(DOT_FILE, 'utf8')): Promise<string> {
  // @viz-js/viz is ESM-only; loaded dynamically from this CommonJS module
  const { instance } = (await import('@viz-js/viz')) as { instance: () => Promise<{ renderString(dot: string, o: { format: string; engine: string }): string }> };
  const viz = await instance();
  return viz.renderString(dot, { format: 'svg', engine: 'dot' });
}

if (require.main === module) {
  renderDiagram().then((svg) => fs.writeFileSync(path.join(__dirname, '..', 'architecture.svg'), svg));
}

// Charts through Chart.js (chart-draw.ts), fetched as a chunk of its own the first time a page draws one: the
// page and its figures show at once, each chart when the library has arrived (then from the browser's cache).

import type * as ChartDraw from './chart-draw.ts';
import { h } from './dom.ts';

let drawing: Promise<typeof ChartDraw> | undefined;

export function chart(kind: 'bar' | 'line', title: string, labels: string[], series: { label: string; data: number[] }[]): HTMLElement {
  // The canvas names itself and carries the figures as text, for screen readers and print.
  const summary = series.map((s) => `${s.label}: ${s.data.reduce((a, b) => a + b, 0)}`).join('; ');
  const canvas = h('canvas', { role: 'img', 'aria-label': `${title}. ${summary}` });
  const box = h('figure', { class: 'chart' }, h('figcaption', {}, title), h('div', { class: 'chart-box' }, canvas));
  drawing ??= import('./chart-draw.ts');
  // data-drawn: when (and whether) Chart.js drew it; a chunk that failed to load is asked for again by the next chart.
  drawing.then((m) => { m.draw(canvas, kind, labels, series); box.dataset['drawn'] = 'yes'; },
    () => { drawing = undefined; box.dataset['drawn'] = 'failed'; }).catch(() => undefined);
  return box;
}

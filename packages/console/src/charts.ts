// Charts through Chart.js (well kept, canvas, accessible fallback text), registering only what the pages use so
// the bundle stays small. Animation is off: a leader's tablet draws each chart once.

import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { h } from './dom.ts';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const COLORS = ['#0b4f9c', '#b3261e', '#1b6e3a', '#6b4c9a'];

export function chart(kind: 'bar' | 'line', title: string, labels: string[], series: { label: string; data: number[] }[]): HTMLElement {
  // The canvas names itself and carries the figures as text, for screen readers and print.
  const summary = series.map((s) => `${s.label}: ${s.data.reduce((a, b) => a + b, 0)}`).join('; ');
  const canvas = h('canvas', { role: 'img', 'aria-label': `${title}. ${summary}` });
  const box = h('figure', { class: 'chart' }, h('figcaption', {}, title), h('div', { class: 'chart-box' }, canvas));
  new Chart(canvas, {
    type: kind,
    data: { labels, datasets: series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: COLORS[i % COLORS.length], borderColor: COLORS[i % COLORS.length] })) },
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  return box;
}

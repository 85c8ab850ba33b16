// Chart.js itself (well kept, canvas), registering only what the pages use. Loaded on demand by charts.ts, so
// the first page's figures show before this chunk (most of the bundle's weight) has arrived.

import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const COLORS = ['#0b4f9c', '#b3261e', '#1b6e3a', '#6b4c9a'];

/** Draws on the canvas; animation off: a leader's tablet draws each chart once. */
export function draw(canvas: HTMLCanvasElement, kind: 'bar' | 'line', labels: string[], series: { label: string; data: number[] }[]): void {
  new Chart(canvas, {
    type: kind,
    data: { labels, datasets: series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: COLORS[i % COLORS.length], borderColor: COLORS[i % COLORS.length] })) },
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

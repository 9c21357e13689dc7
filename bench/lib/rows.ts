/** One line of the results table (and of bench/results/latest.json). */
export interface Row {
  name: string;
  metric: string;
  drover: number | null;
  naive: number | null;
  raw: number | null;
  unit: string;
  note?: string;
}

export const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

// A tiny inline line graph for the VM list: plain SVG (recharts is for the real graphs),
// scaled to its own maximum unless one is given. The label says the latest value in words.
interface SparklineProps {
  readonly values: readonly number[];
  readonly label: string;
  readonly max?: number;
  readonly width?: number;
  readonly height?: number;
}

export function Sparkline({ values, label, max, width = 96, height = 22 }: SparklineProps) {
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const n = Math.max(values.length, 2);
  const points = values.map((v, i) => `${((i + (n - values.length)) / (n - 1)) * width},${height - 1 - (v / top) * (height - 2)}`).join(' ');
  return (
    <svg className="sparkline" role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
      <line className="sparkline__base" x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} />
      {values.length > 1 && <polyline className="sparkline__line" points={points} />}
    </svg>
  );
}

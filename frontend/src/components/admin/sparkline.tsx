// One camera's last hours as three small inline SVG charts: its status as coloured runs,
// its frame rate and its bitrate as lines (averaged per pixel, broken where it did not
// record), each with its scale's round maximum.
import { downsample, linePath, niceMax, runBox, statusRuns } from "./chart";
import type { Sample } from "./model";

const WIDTH = 288;
const LINE_HEIGHT = 34;
const STRIP_HEIGHT = 8;

export function LineChart(props: { values: (number | null)[]; label: string; unit: (v: number) => string }) {
  const measured = props.values.filter((v): v is number => v !== null);
  const top = niceMax(Math.max(0, ...measured));
  return (
    <figure class="spark">
      <figcaption>
        <span>{props.label}</span>
        <span class="scale">{measured.length ? props.unit(top) : "—"}</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${LINE_HEIGHT}`} width={WIDTH} height={LINE_HEIGHT} role="img" aria-label={props.label}>
        <line x1="0" y1={LINE_HEIGHT - 0.5} x2={WIDTH} y2={LINE_HEIGHT - 0.5} class="axis" />
        <path d={linePath(props.values, WIDTH, LINE_HEIGHT - 1, top)} class="line" />
      </svg>
    </figure>
  );
}

export function CameraCharts(props: {
  samples: Sample[];
  start: number;
  end: number;
  intervalMs: number;
  statusLabel: string;
  fpsLabel: string;
  bitrateLabel: string;
  camera: string;
  bitrate: (v: number) => string;
}) {
  const { samples, start, end } = props;
  const points = samples.map((s) => ({ t: Date.parse(s.at), s }));
  const runs = statusRuns(
    points.map((p) => ({ t: p.t, status: p.s.status })),
    props.intervalMs,
  );
  const fps = downsample(
    points.map((p) => ({ t: p.t, v: p.s.fps })),
    start,
    end,
    WIDTH / 2,
  );
  const bitrate = downsample(
    points.map((p) => ({ t: p.t, v: p.s.bitrate_bps })),
    start,
    end,
    WIDTH / 2,
  );
  return (
    <div class="charts" data-testid="health-chart" data-camera={props.camera} data-samples={samples.length}>
      <svg
        viewBox={`0 0 ${WIDTH} ${STRIP_HEIGHT}`}
        width={WIDTH}
        height={STRIP_HEIGHT}
        class="strip"
        role="img"
        aria-label={props.statusLabel}
      >
        <rect x="0" y="0" width={WIDTH} height={STRIP_HEIGHT} class="nodata" />
        {runs.map((run) => {
          const box = runBox(run, start, end, WIDTH);
          return box && <rect key={run.start} x={box.x} y="0" width={box.w} height={STRIP_HEIGHT} class={`run ${run.status}`} />;
        })}
      </svg>
      <LineChart values={fps} label={props.fpsLabel} unit={(v) => `${v} i/s`} />
      <LineChart values={bitrate} label={props.bitrateLabel} unit={props.bitrate} />
    </div>
  );
}

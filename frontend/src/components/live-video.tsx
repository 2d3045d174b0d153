// Live video of one camera (MSE over the API's WebSocket). Placeholder with the stable
// interface other pages import; the implementation is being written (issue 5).

export interface LiveVideoProps {
  camera: string;
  /** Smaller overlay text, for wall tiles and side-by-side views. */
  compact?: boolean;
  /** Called with a French sentence when the picture cannot be shown. */
  onError?: (message: string) => void;
  class?: string;
}

export function LiveVideo(props: LiveVideoProps) {
  return <video class={props.class} data-testid="live-video" data-camera={props.camera} muted autoplay playsInline />;
}

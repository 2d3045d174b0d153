// A button that asks once more before a change that cannot be taken back by itself
// (disable an account, forget its second factor): the first click arms it, the second
// acts; it disarms after a few seconds. No browser dialog (a wall screen has no mouse
// near the OK button, and tests would have to answer it).
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

import { words } from "./words";

export function ConfirmButton(props: {
  onConfirm: () => void;
  children: ComponentChildren;
  danger?: boolean;
  disabled?: boolean;
  testid?: string;
}) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const timer = setTimeout(() => setArmed(false), 5000);
    return () => clearTimeout(timer);
  }, [armed]);
  return (
    <button
      type="button"
      class={props.danger ? "danger" : ""}
      disabled={props.disabled}
      data-testid={props.testid}
      onClick={() => {
        if (!armed) return setArmed(true);
        setArmed(false);
        props.onConfirm();
      }}
    >
      {armed ? words("confirm") : props.children}
    </button>
  );
}

// The second factor's six digits, asked the same way by every form: the phone's numeric
// keypad, the browser's one-time-code autofill, and the field named as the API names it.
import type { ComponentChildren } from "preact";

export interface TotpFieldProps {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  /** The input's name (the API's field): `code` at sign-in, `totp` elsewhere. */
  name?: string;
  required?: boolean;
  autoFocus?: boolean;
  /** Refuse anything but six digits before sending (where the code is optional). */
  strict?: boolean;
  /** A help text under the field. */
  children?: ComponentChildren;
}

export function TotpField({
  label,
  value,
  onValue,
  name = "code",
  required = true,
  autoFocus = false,
  strict = false,
  children,
}: TotpFieldProps) {
  return (
    <label>
      {label}
      <input
        name={name}
        inputMode="numeric"
        autoComplete="one-time-code"
        required={required}
        autoFocus={autoFocus}
        pattern={strict ? "[0-9]{6}" : undefined}
        maxLength={strict ? 6 : undefined}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
      {children}
    </label>
  );
}

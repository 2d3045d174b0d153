// The two fields of a password the user chooses (an access code's, or a change of
// one's own): the policy under the first, the confirmation beside it. One piece, so the
// sign-in page and the password dialog say the same.
import { policyHelp } from "../lib/password-policy";

export interface NewPasswordFieldsProps {
  label: string;
  confirmLabel: string;
  value: string;
  confirmation: string;
  onValue: (value: string) => void;
  onConfirmation: (value: string) => void;
  autoFocus?: boolean;
}

export function NewPasswordFields(props: NewPasswordFieldsProps) {
  return (
    <>
      <label>
        {props.label}
        <input
          name="new_password"
          type="password"
          autoComplete="new-password"
          required
          autoFocus={props.autoFocus}
          value={props.value}
          onInput={(e) => props.onValue(e.currentTarget.value)}
        />
        <small>{policyHelp()}</small>
      </label>
      <label>
        {props.confirmLabel}
        <input
          name="confirm_password"
          type="password"
          autoComplete="new-password"
          required
          value={props.confirmation}
          onInput={(e) => props.onConfirmation(e.currentTarget.value)}
        />
      </label>
    </>
  );
}

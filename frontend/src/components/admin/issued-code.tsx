// What an access request gives back, shown once: the code itself to whoever receives
// it (monospace, with its end), or who must still approve the request. The code is not
// kept anywhere: once this panel is closed, only a new request gives another.
import type { IssuedCodeOut, RequestCreated } from "../../lib/access";
import { formatTime, messages } from "../../lib/i18n";
import { session } from "../../lib/session";
import { pendingText } from "./access-model";

const t = messages({
  fr: {
    code_for: "Code d'accès de {username}",
    valid_until: "Valable jusqu'au {at}.",
    hand_over: "À remettre en main propre à l'agent ; il ne sera plus affiché.",
    how: "L'agent ouvre la console, choisit « J'ai un code d'accès » et le saisit, puis choisit son mot de passe.",
    dismiss: "J'ai noté le code",
    close: "Fermer",
  },
  en: {
    code_for: "Access code of {username}",
    valid_until: "Valid until {at}.",
    hand_over: "Hand it to the agent in person; it will not be shown again.",
    how: "The agent opens the console, chooses « I have an access code », types it and chooses a password.",
    dismiss: "I have noted the code",
    close: "Close",
  },
});

export function IssuedCode({ issued, onDismiss }: { issued: IssuedCodeOut; onDismiss: () => void }) {
  return (
    <div class="card issued-code" aria-live="polite" data-testid="issued-code" data-username={issued.username}>
      <p>{t("code_for", { username: issued.username })}</p>
      <code class="access-code" data-testid="access-code">
        {issued.code}
      </code>
      <p>{t("valid_until", { at: formatTime(issued.expires_at, false) })}</p>
      <p class="hint">
        <strong>{t("hand_over")}</strong>
      </p>
      <p class="sub">{t("how")}</p>
      <div class="toolbar">
        <button type="button" onClick={onDismiss}>
          {t("dismiss")}
        </button>
      </div>
    </div>
  );
}

/** The answer of a new request: its code when one person suffices, else who approves. */
export function AccessOutcome({ outcome, onDismiss }: { outcome: RequestCreated; onDismiss: () => void }) {
  if (outcome.code) return <IssuedCode issued={outcome.code} onDismiss={onDismiss} />;
  return (
    <div class="card issued-code pending" aria-live="polite" data-testid="access-pending" data-username={outcome.request.username}>
      <p>{pendingText(outcome.request, session.value?.role)}</p>
      <div class="toolbar">
        <button type="button" onClick={onDismiss}>
          {t("close")}
        </button>
      </div>
    </div>
  );
}

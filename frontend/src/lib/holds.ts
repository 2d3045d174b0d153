// A preservation hold on recordings (`HoldOut`: a requisition's holds, the
// administration's list): footage of a camera between two instants kept past its
// retention until released. A hold placed by hand lapses at `expires_at` unless
// renewed; null for a requisition's.
import type { Schema } from "./api";

export type Hold = Schema<"HoldOut">;

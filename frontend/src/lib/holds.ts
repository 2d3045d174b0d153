// A preservation hold on recordings (`HoldOut`: a requisition's holds, the
// administration's list): footage of a camera between two instants kept past its
// retention until released.
export interface Hold {
  id: number;
  camera: string;
  start: string;
  end: string;
  reason: string;
  requisition_id: number | null;
  created_by: string;
  created_at: string;
  active: boolean;
  released_by: string | null;
  released_at: string | null;
  release_reason: string | null;
  // A hold placed by hand lapses then unless renewed; null for a requisition's.
  expires_at?: string | null;
}

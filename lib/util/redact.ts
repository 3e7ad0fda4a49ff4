// Error messages that leave the server (API problems, a snapshot's analysis error) must not reveal
// where things live on it: absolute paths are cut to their last component (`/srv/memq/store/_uploads/
// snp_1.dump: unrecognized format` → `snp_1.dump: unrecognized format`). The server log keeps the
// full message.

// an absolute POSIX path (/a/b…) or Windows path (C:\a\b…, \\host\share…) of at least two components
const ABSOLUTE_PATH = /(?<![\w.~-])(?:[A-Za-z]:[\\/]|\\\\|\/)(?:[^\s'"`:;,()[\]{}<>|\\/]+[\\/])+([^\s'"`:;,()[\]{}<>|\\/]*)/g;

/** The message with every absolute path replaced by its last component (or `<path>` when it ends in a separator). */
export function redactPaths(message: string): string {
  // API routes (`PUT /api/v1/snapshots/{id}/content`) are addresses the client needs, not server paths
  return message.replace(ABSOLUTE_PATH, (m, last: string) => (m.startsWith('/api/') ? m : last || '<path>'));
}

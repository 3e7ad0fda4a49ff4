// TLP 2.0 classification badge (colours from the FIRST TLP standard), with free tags.
import type { Tlp } from '../lib/api';

const colors: Record<Tlp, [string, string]> = {
  CLEAR: ['#000', '#fff'],
  GREEN: ['#000', '#33ff00'],
  AMBER: ['#000', '#ffc000'],
  'AMBER+STRICT': ['#000', '#ffc000'],
  RED: ['#000', '#ff2b2b'],
};

export function TlpBadge({ tlp, tags = [] }: { tlp: Tlp; tags?: string[] }) {
  const [bg, fg] = colors[tlp];
  return (
    <span className="tlp-wrap">
      <span className="tlp" style={{ background: bg, color: fg }} data-testid="tlp-badge" title={`Traffic Light Protocol: ${tlp}`}>
        TLP:{tlp}
      </span>
      {tags.map((t) => (
        <span key={t} className="tag">
          {t}
        </span>
      ))}
    </span>
  );
}

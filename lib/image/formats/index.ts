// Registers every dump format probe with the detector. Order matters only for overlapping magics;
// raw is the detector's fallback and is not registered here. Probes look at content only.
import { registerFormat } from '../detect';
import { ElfCoreMemory, looksLikeElfCore } from './elf';
import { KdumpMemory, looksLikeFlattenedKdump, looksLikeKdump } from './kdump';
import { LimeMemory, looksLikeLime } from './lime';

registerFormat({
  id: 'lime',
  description: 'LiME (magic 0x4c694d45 v1) or AVML (magic 0x4c4d5641 v2)',
  matches: (head) => looksLikeLime(head),
  open: (src) => new LimeMemory(src),
});

registerFormat({
  id: 'elf',
  description: 'ELF core (\\x7fELF, e_type 4)',
  matches: (head) => looksLikeElfCore(head),
  open: (src) => new ElfCoreMemory(src),
});

registerFormat({
  id: 'kdump',
  description: "kdump-compressed ('KDUMP   ' or makedumpfile flattened stream)",
  matches: (head) => looksLikeKdump(head) || looksLikeFlattenedKdump(head),
  open: (src) => new KdumpMemory(src),
});

// Windows crash dumps ('PAGEDU64') register from their own module:
import './windows-crashdump';

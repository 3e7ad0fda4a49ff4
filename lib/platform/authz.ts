// THE access decision. Every read or change of collaboration data goes through decide(); the service
// layer only gathers the facts (who asks, their memberships, the object's project, classification and
// active shares) and acts on the verdict. Rules:
//  - organizations are walls: nothing crosses them; a foreign object answers "not found" (no leak).
//  - project role gives: viewer = read, analyst = + create/update/classify/share (and delete what they
//    created), owner = everything in the project. Org admins act as owner, except on RED items.
//  - an active share (project or user) gives read only; a revoked share gives nothing.
//  - TLP: CLEAR/GREEN items are readable by the whole org; AMBER and AMBER+STRICT by the project and
//    share recipients; RED only by its creator and users it was shared with by name (a share with a
//    project does not count, nor does project ownership or org admin).
//  - RED control: only the creator may update, share onward, reclassify or delete a RED item, and only
//    while still a project member with at least the analyst role (re-checked on every decision, so
//    removal or demotion takes effect at once). Named recipients only read; org admins and project
//    owners get nothing. (Revoking a share one created oneself is always allowed: it only narrows.)
//  - snapshots, saved queries, result sets and custom playbooks all follow these same rules.
import type { Role, Share, Tlp, User } from './model';

export type Action = 'read' | 'create' | 'update' | 'classify' | 'share' | 'delete' | 'manage' | 'admin';

export interface Subject {
  user: User;
  /** project_id → role */
  roles: ReadonlyMap<string, Role>;
}

export type ResourceFacts =
  | { kind: 'org'; org_id: string }
  | { kind: 'user'; org_id: string; user_id: string }
  | { kind: 'project' | 'machine'; org_id: string; project_id: string }
  /** creating a classified object (snapshot, saved query, result set, custom playbook) in a project */
  | { kind: 'new_snapshot' | 'new_saved_query' | 'new_result_set' | 'new_playbook'; org_id: string; project_id: string }
  | { kind: 'audit'; org_id: string; project_id: string | null }
  /** the bundled playbook library and the catalog */
  | { kind: 'playbook_library'; org_id: string }
  | {
      kind: 'snapshot' | 'saved_query' | 'result_set' | 'playbook';
      org_id: string;
      project_id: string;
      classification: Tlp;
      created_by: string;
      /** shares of this object; revoked ones are ignored here */
      shares: readonly Share[];
    };

export interface Decision {
  allow: boolean;
  /** 'not_found' hides the object's existence; 'forbidden' says it exists but this is not allowed */
  deny?: 'not_found' | 'forbidden';
  reason: string;
}

const rank: Record<Role, number> = { viewer: 1, analyst: 2, owner: 3 };
const allow = (reason: string): Decision => ({ allow: true, reason });
const forbid = (reason: string): Decision => ({ allow: false, deny: 'forbidden', reason });
const hide = (reason: string): Decision => ({ allow: false, deny: 'not_found', reason });

function atLeast(have: Role | undefined, need: Role): boolean {
  return have !== undefined && rank[have] >= rank[need];
}

function best(a: Role | undefined, b: Role | undefined): Role | undefined {
  if (!a) return b;
  if (!b) return a;
  return rank[a] >= rank[b] ? a : b;
}

/** The role an action needs on a project-scoped object. */
function needed(action: Action): Role {
  return action === 'read' ? 'viewer' : action === 'delete' || action === 'manage' ? 'owner' : 'analyst';
}

export function decide(s: Subject, action: Action, r: ResourceFacts): Decision {
  if (r.org_id !== s.user.org_id) return hide('object belongs to another organization');
  const admin = s.user.org_admin;
  switch (r.kind) {
    case 'org':
    case 'playbook_library':
      // any member may read the org's catalog and the bundled playbooks and open a project of their own
      if (action === 'read' || (r.kind === 'org' && action === 'create')) return allow('member of the organization');
      return admin ? allow('organization admin') : forbid(`${action} on the organization needs an organization admin`);
    case 'user':
      if (action === 'read') return allow('same organization');
      if (action === 'update' && r.user_id === s.user.id) return allow('own account');
      return admin ? allow('organization admin') : forbid('managing users needs an organization admin');
    case 'audit':
      if (admin) return allow('organization admin');
      if (r.project_id && s.roles.get(r.project_id) === 'owner') return allow('project owner');
      return forbid('the audit log is for organization admins and project owners');
    case 'project':
    case 'machine':
    case 'new_snapshot':
    case 'new_saved_query':
    case 'new_result_set':
    case 'new_playbook': {
      const role = admin ? 'owner' : s.roles.get(r.project_id);
      if (!role) return hide('not a member of the project');
      // creating anything in a project takes an analyst (the creator then controls it by its TLP rules)
      const need = r.kind.startsWith('new_') || (r.kind === 'project' && action === 'create') ? 'analyst' : needed(action);
      return atLeast(role, need) ? allow(`project ${role}`) : forbid(`${action} needs project role ${need}, you are ${role}`);
    }
    case 'snapshot':
    case 'saved_query':
    case 'result_set':
    case 'playbook': {
      const active = r.shares.filter((sh) => sh.revoked_at === null);
      const namedRecipient = active.some((sh) => sh.target_kind === 'user' && sh.target_id === s.user.id);
      const viaProject = active.some((sh) => sh.target_kind === 'project' && s.roles.has(sh.target_id));
      const creator = r.created_by === s.user.id;
      const projectRole = s.roles.get(r.project_id);
      let role: Role | undefined;
      if (r.classification === 'RED') {
        // membership is re-checked on every decision: a creator removed from the project loses the item
        const memberCreator = creator && projectRole !== undefined;
        if (!memberCreator && !namedRecipient) return hide('TLP:RED — only its creator (while a project member) and named recipients may see it');
        if (action === 'read') return allow(memberCreator ? 'creator of a TLP:RED item' : 'named recipient of a TLP:RED item');
        // recipients read, nothing more: they may not share onward, reclassify, edit or delete
        if (!memberCreator) return forbid(`TLP:RED — only its creator may ${action} it; recipients may only read`);
        // the creator's control is bounded by their current project role (a demoted viewer only reads)
        return atLeast(projectRole, 'analyst') ? allow(`creator of a TLP:RED item, project ${projectRole}`) : forbid(`${action} needs project role analyst, you are ${projectRole}`);
      } else {
        role = best(admin ? 'owner' : projectRole, namedRecipient || viaProject ? 'viewer' : undefined);
        if (!role && (r.classification === 'CLEAR' || r.classification === 'GREEN')) role = 'viewer';
        if (!role) return hide('not a project member and not shared with you');
      }
      // analysts may delete what they created themselves
      if (action === 'delete' && creator && atLeast(role, 'analyst')) return allow('creator');
      const need = needed(action);
      return atLeast(role, need) ? allow(`effective role ${role}`) : forbid(`${action} needs role ${need}, you have ${role}`);
    }
  }
}

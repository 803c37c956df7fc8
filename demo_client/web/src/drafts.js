// What the user typed on the current screen, kept in the tab's sessionStorage until the screen is accepted, so a
// reload (or a dropped connection) comes back to the same screen with the same values. Off with {drafts: false}.

const PREFIX = "arabesque.draft.";

export class Drafts {
  constructor(storage) {
    this.storage = storage;
  }

  key(sessionId, screen) {
    return `${PREFIX}${sessionId}.${screen.screen_id}.${screen.revision}`;
  }

  read(sessionId, screen) {
    if (!this.storage || !sessionId) return null;
    try {
      return JSON.parse(this.storage.getItem(this.key(sessionId, screen)) || "null");
    } catch {
      return null;
    }
  }

  write(sessionId, screen, values) {
    if (!this.storage || !sessionId) return;
    try {
      this.clear(sessionId);
      this.storage.setItem(this.key(sessionId, screen), JSON.stringify(values));
    } catch {
      // storage full or refused: the draft is only a convenience
    }
  }

  clear(sessionId) {
    if (!this.storage) return;
    for (let i = this.storage.length - 1; i >= 0; i -= 1) {
      const key = this.storage.key(i);
      if (key && key.startsWith(`${PREFIX}${sessionId}.`)) this.storage.removeItem(key);
    }
  }
}

// Uploads: through the server (POST /v1/sessions/{id}/files, multipart) or, when the server offers it, straight to
// the bucket with a presigned POST followed by upload.completed on the socket. Both report progress.

export class UploadError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

function post(url, body, { headers = {}, onProgress }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => resolve(xhr));
    xhr.addEventListener("error", () => reject(new UploadError("upload.network", "The upload was interrupted")));
    xhr.addEventListener("abort", () => reject(new UploadError("upload.network", "The upload was cancelled")));
    xhr.send(body);
  });
}

function refusal(xhrOrBody, status) {
  let body = xhrOrBody;
  if (xhrOrBody instanceof XMLHttpRequest) {
    try {
      body = JSON.parse(xhrOrBody.responseText);
    } catch {
      body = {};
    }
  }
  return new UploadError(body.code || "upload.failed", body.message || `HTTP ${status}`, body.details || {});
}

async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Uploader {
  /** `session()` gives {baseUrl, sessionId, token}; `request(message)` sends a socket message and resolves its reply. */
  constructor(session, request) {
    this.session = session;
    this.request = request;
    this.direct = true; // until the server says it stores files itself
  }

  async upload(blob, { filename, field, onProgress }) {
    if (this.direct) {
      const fileId = await this.viaBucket(blob, { filename, field, onProgress });
      if (fileId) return fileId;
    }
    return this.viaServer(blob, { filename, onProgress });
  }

  async viaServer(blob, { filename, onProgress }) {
    const { baseUrl, sessionId, token } = this.session();
    const form = new FormData();
    form.append("file", blob, filename);
    const xhr = await post(`${baseUrl}/v1/sessions/${encodeURIComponent(sessionId)}/files`, form,
      { headers: { Authorization: `Bearer ${token}` }, onProgress });
    if (xhr.status !== 201) throw refusal(xhr, xhr.status);
    onProgress?.(1);
    return JSON.parse(xhr.responseText).file_id;
  }

  /** The file id, or null when the server stores files itself (then the caller uploads through it). */
  async viaBucket(blob, { filename, field, onProgress }) {
    const { baseUrl, sessionId, token } = this.session();
    const response = await fetch(`${baseUrl}/v1/sessions/${encodeURIComponent(sessionId)}/uploads`, {
      method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ content_type: blob.type || "application/octet-stream", filename, field }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 409 && body.code === "storage.direct_upload_unsupported") {
      this.direct = false;
      return null;
    }
    if (response.status !== 201) throw refusal(body, response.status);
    const form = new FormData();
    for (const [name, value] of Object.entries(body.fields)) form.append(name, value);
    form.append("file", blob, filename);
    let sent;
    try {
      sent = await post(body.url, form, { onProgress });
    } catch {
      this.direct = false; // the bucket is not reachable from this browser (CORS, network): go through the server
      return null;
    }
    if (sent.status >= 300) throw new UploadError("upload.failed", `The storage answered HTTP ${sent.status}`);
    const reply = await this.request({ type: "upload.completed", upload_id: body.upload_id, field,
      sha256: await sha256Hex(blob) });
    if (reply.type !== "upload.verified") throw refusal(reply, 0);
    onProgress?.(1);
    return reply.file_id;
  }
}

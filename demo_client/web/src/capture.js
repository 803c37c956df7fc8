// Captures: capture.document and capture.selfie take a still with the camera (getUserMedia: the rear camera
// and a card-shaped frame for documents, the front camera and an oval for selfies), at the best resolution
// the camera gives, or a file when there is no camera or no permission. input.file uploads one or more files.
// Every upload shows a progress bar; the value is the uploaded file's id (a list for input.file).

import { el } from "./dom.js";
import { Field } from "./fields.js";

const STILL_TIMEOUT_MS = 6000;

function visuallyHiddenFileInput(id, accept, { multiple = false, capture = null } = {}) {
  return el("input", { type: "file", id, class: "arq-visually-hidden", accept: accept.join(","),
    multiple, capture, tabindex: "-1" });
}

function progressBar(ctx, id) {
  const bar = el("progress", { id, class: "arq-progress", max: "100", value: "0", hidden: true,
    "aria-label": ctx.t("sdk.uploading") });
  return bar;
}

function extension(type) {
  return { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp" }[type] || "bin";
}

async function bestStill(video, track) {
  if ("ImageCapture" in window) {
    try {
      const capture = new window.ImageCapture(track);
      const capabilities = await capture.getPhotoCapabilities();
      const settings = {};
      if (capabilities.imageWidth?.max) settings.imageWidth = capabilities.imageWidth.max;
      if (capabilities.imageHeight?.max) settings.imageHeight = capabilities.imageHeight.max;
      const photo = await Promise.race([capture.takePhoto(settings),
        new Promise((resolve) => { setTimeout(() => resolve(null), STILL_TIMEOUT_MS); })]);
      if (photo && photo.size > 0) return photo;
    } catch {
      // takePhoto is not available for this camera: grab the video frame instead
    }
  }
  const canvas = el("canvas", { width: video.videoWidth, height: video.videoHeight });
  canvas.getContext("2d").drawImage(video, 0, 0, video.videoWidth, video.videoHeight);
  return new Promise((resolve) => { canvas.toBlob(resolve, "image/jpeg", 0.92); });
}

/** capture.document / capture.selfie. */
export function captureInput(ctx, component, pointer, bind) {
  const selfie = component.type === "capture.selfie";
  const field = new Field(ctx, component, pointer, { group: true });
  const formats = component.accepted_formats || ["image/jpeg", "image/png"];
  const status = el("p", { class: "arq-capture-status", id: `${field.id}-status`, role: "status" });
  const guidance = component.guidance ? el("p", { class: "arq-guidance", id: `${field.id}-guidance` }, component.guidance) : null;
  const preview = el("img", { class: "arq-capture-preview", alt: ctx.t("sdk.your_photo"), hidden: true });
  const bar = progressBar(ctx, `${field.id}-progress`);
  const fileInput = visuallyHiddenFileInput(`${field.id}-file`, formats, { capture: selfie ? "user" : "environment" });
  fileInput.setAttribute("aria-label", ctx.t("sdk.choose_file"));
  const video = el("video", { class: "arq-camera-video", playsinline: true, muted: true, autoplay: true,
    "aria-label": ctx.t(selfie ? "sdk.camera_view_selfie" : "sdk.camera_view_document") });
  const overlay = el("div", { class: `arq-camera-overlay arq-camera-overlay--${selfie ? "oval" : "card"}`,
    "aria-hidden": "true" });
  const shoot = el("button", { type: "button", class: "arq-button", "data-role": "shoot" }, ctx.t("sdk.take_photo"));
  const cancel = el("button", { type: "button", class: "arq-button arq-button--secondary", "data-role": "cancel" },
    ctx.t("sdk.cancel"));
  const camera = el("div", { class: "arq-camera", hidden: true },
    el("div", { class: "arq-camera-frame" }, video, overlay),
    el("p", { class: "arq-camera-hint" }, ctx.t(selfie ? "sdk.camera_hint_selfie" : "sdk.camera_hint_document")),
    el("div", { class: "arq-buttons" }, shoot, cancel));
  const open = el("button", { type: "button", class: "arq-button", id: `${field.id}-open`, "data-role": "camera" },
    ctx.t(selfie ? "sdk.open_camera_selfie" : "sdk.open_camera_document"));
  const pick = el("button", { type: "button", class: "arq-button arq-button--secondary", id: `${field.id}-pick`,
    "data-role": "pick" },
    ctx.t("sdk.upload_instead"));
  const start = el("div", { class: "arq-buttons" }, open, pick);
  let stream = null;

  function stopCamera() {
    for (const track of stream?.getTracks() || []) track.stop();
    stream = null;
    video.srcObject = null;
    camera.hidden = true;
    start.hidden = false;
  }

  function fallBack(messageKey) {
    stopCamera();
    field.wrapper.dataset.camera = messageKey === "sdk.camera_denied" ? "denied" : "unavailable";
    open.hidden = true;
    status.textContent = ctx.t(messageKey);
    pick.classList.remove("arq-button--secondary");
    pick.focus();
  }

  async function upload(blob, filename, source) {
    field.clearError();
    bar.hidden = false;
    bar.value = 0;
    status.textContent = ctx.t("sdk.uploading");
    try {
      const fileId = await ctx.uploader.upload(blob, { filename, field: component.name,
        onProgress: (share) => { bar.value = Math.round(share * 100); } });
      bind.set(fileId);
      Object.assign(field.wrapper.dataset, { fileId, source });
      preview.src = URL.createObjectURL(blob);
      preview.hidden = false;
      status.textContent = ctx.t("sdk.uploaded");
      open.textContent = ctx.t("sdk.retake_photo");
    } catch (error) {
      bind.set(undefined);
      field.showError(error.message);
      status.textContent = "";
    } finally {
      bar.hidden = true;
    }
  }

  open.addEventListener("click", async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      fallBack("sdk.camera_unavailable");
      return;
    }
    const wide = { ideal: selfie ? 1920 : 3840 };
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: {
        facingMode: { ideal: selfie ? "user" : "environment" }, width: wide, height: { ideal: selfie ? 1080 : 2160 } } });
    } catch (error) {
      fallBack(error && error.name === "NotAllowedError" ? "sdk.camera_denied" : "sdk.camera_unavailable");
      return;
    }
    video.srcObject = stream;
    camera.hidden = false;
    start.hidden = true;
    status.textContent = ctx.t("sdk.camera_ready");
    try {
      await video.play();
    } catch {
      // autoplay of a muted video is allowed; a refusal still shows the frame once data arrives
    }
    shoot.focus();
  });

  shoot.addEventListener("click", async () => {
    if (!stream) return;
    if (video.readyState < 2) await new Promise((resolve) => video.addEventListener("loadeddata", resolve, { once: true }));
    shoot.disabled = true;
    const blob = await bestStill(video, stream.getVideoTracks()[0]);
    shoot.disabled = false;
    stopCamera();
    await upload(blob, `${component.name}.${extension(blob.type)}`, "camera");
    open.focus();
  });

  cancel.addEventListener("click", () => {
    stopCamera();
    status.textContent = "";
    open.focus();
  });
  pick.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files?.[0];
    if (file) await upload(file, file.name, "file");
    fileInput.value = "";
  });

  field.controls.push(open, pick);
  field.assemble(...[guidance, start, camera, fileInput, bar, status, preview].filter(Boolean));
  if (guidance) field.wrapper.setAttribute("aria-describedby", guidance.id);
  field.cleanup = stopCamera;
  if (bind.get()) status.textContent = ctx.t("sdk.uploaded");
  field.focus = () => open.hidden ? pick.focus() : open.focus();
  return field;
}

/** input.file: one or more files (PDF or images), each uploaded with progress; the value is the list of ids. */
export function fileInput(ctx, component, pointer, bind) {
  const field = new Field(ctx, component, pointer);
  const max = component.max_files ?? 1;
  const formats = component.accepted_formats || [];
  const input = el("input", { type: "file", id: field.id, class: "arq-file", accept: formats.join(","),
    multiple: max > 1 });
  const bar = progressBar(ctx, `${field.id}-progress`);
  const status = el("p", { class: "arq-capture-status", role: "status" });
  const list = el("ul", { class: "arq-file-list" });
  const uploaded = Array.isArray(bind.get()) ? [...bind.get()].map((id) => ({ id, name: id })) : [];

  function draw() {
    list.replaceChildren(...uploaded.map((file, i) => {
      const remove = el("button", { type: "button", class: "arq-button arq-button--link",
        "aria-label": ctx.t("sdk.remove_file_named", { name: file.name }) }, ctx.t("sdk.remove_item"));
      remove.addEventListener("click", () => {
        uploaded.splice(i, 1);
        bind.set(uploaded.map((f) => f.id));
        draw();
        input.focus();
      });
      return el("li", {}, el("span", {}, file.name), " ", remove);
    }));
    input.disabled = uploaded.length >= max;
  }

  input.addEventListener("change", async () => {
    field.clearError();
    const chosen = [...(input.files || [])].slice(0, Math.max(0, max - uploaded.length));
    for (const file of chosen) {
      bar.hidden = false;
      bar.value = 0;
      status.textContent = ctx.t("sdk.uploading_named", { name: file.name });
      try {
        const id = await ctx.uploader.upload(file, { filename: file.name, field: component.name,
          onProgress: (share) => { bar.value = Math.round(share * 100); } });
        uploaded.push({ id, name: file.name });
        bind.set(uploaded.map((f) => f.id));
        status.textContent = ctx.t("sdk.uploaded_named", { name: file.name });
      } catch (error) {
        field.showError(error.message);
        status.textContent = "";
      }
    }
    bar.hidden = true;
    input.value = "";
    draw();
  });
  field.controls.push(input);
  field.assemble(input, bar, status, list);
  if (uploaded.length) bind.set(uploaded.map((f) => f.id), { quiet: true });
  draw();
  return field;
}

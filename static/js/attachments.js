// Attachments in the composer: the Attach button, dropping files on the composer, pasting
// (a screenshot from the clipboard), and recording from the microphone. Files are uploaded
// over HTTP at once; the server normalises them and answers with chips (or clear refusals),
// and the chips' hidden inputs travel with the message when it is sent.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // `notice`: said once the upload is through (why a recording ended, say).
  function upload(files, notice) {
    var composer = byId("composer");
    if (!composer || !files.length) return Promise.resolve();
    var body = new FormData();
    Array.prototype.forEach.call(files, function (file) { body.append("file", file, file.name); });
    var errors = byId("upload-errors");
    errors.textContent = "Uploading " + files.length + " file" + (files.length > 1 ? "s" : "") + "…";
    return fetch(composer.dataset.uploadUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      return response.text().then(function (html) {
        if (!response.ok && response.status !== 422) {
          errors.textContent = "The upload failed (HTTP " + response.status + "); try again.";
          return;
        }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var refusals = holder.querySelector(".upload-errors");
        errors.textContent = notice || "";
        if (refusals) errors.appendChild(refusals);
        var chips = byId("attachment-chips");
        Array.prototype.slice.call(holder.querySelectorAll(".chip")).forEach(function (chip) {
          chips.appendChild(chip);
          htmx.process(chip);
        });
      });
    }).catch(function () {
      errors.textContent = "The upload failed: the server could not be reached. Try again.";
    });
  }

  // -- button, drop, paste ---------------------------------------------------------------

  document.addEventListener("click", function (event) {
    if (event.target.id === "attach-button") byId("file-input").click();
  });
  document.addEventListener("change", function (event) {
    if (event.target.id !== "file-input") return;
    upload(event.target.files).then(function () { event.target.value = ""; });
  });
  document.addEventListener("dragover", function (event) {
    if (!event.target.closest || !event.target.closest("#composer-wrap")) return;
    event.preventDefault();
    byId("composer-wrap").classList.add("dropping");
  });
  document.addEventListener("dragleave", function (event) {
    var wrap = byId("composer-wrap");
    // Leaving a child for another child is not leaving the composer.
    if (wrap && !(event.relatedTarget && wrap.contains(event.relatedTarget))) {
      wrap.classList.remove("dropping");
    }
  });
  document.addEventListener("drop", function (event) {
    if (!event.target.closest || !event.target.closest("#composer-wrap")) return;
    event.preventDefault();
    byId("composer-wrap").classList.remove("dropping");
    upload(event.dataTransfer.files);
  });
  document.addEventListener("paste", function (event) {
    if (!event.target.closest || !event.target.closest("#composer")) return;
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();  // a pasted screenshot is an attachment, not text
      upload(files);
    }
  });

  // -- recording -------------------------------------------------------------------------

  var recording = null;

  function formatTime(seconds) {
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function startRecording() {
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      byId("upload-errors").textContent = "This browser cannot record audio.";
      return;
    }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = MediaRecorder.isTypeSupported("audio/webm;codecs=opus") ? "audio/webm;codecs=opus" : "";
      var recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
      var context = new AudioContext();
      var analyser = context.createAnalyser();
      analyser.fftSize = 512;
      context.createMediaStreamSource(stream).connect(analyser);
      var samples = new Float32Array(analyser.fftSize);
      var chunks = [];
      var started = Date.now();
      var limit = Number(byId("composer").dataset.maxRecordSeconds) || 0;
      recording = { recorder: recorder, stream: stream, context: context };
      recorder.ondataavailable = function (event) { if (event.data.size) chunks.push(event.data); };
      recorder.onstop = function () {
        clearInterval(recording.timer);
        stream.getTracks().forEach(function (track) { track.stop(); });
        context.close();
        byId("recorder").hidden = true;
        byId("record-button").disabled = false;
        var notice = recording.notice;
        recording = null;
        var blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
        var stamp = new Date().toISOString().slice(11, 19).replace(/:/g, "-");
        upload([new File([blob], "recording-" + stamp + ".webm", { type: blob.type })], notice);
      };
      recording.timer = setInterval(function () {
        byId("recorder-time").textContent = formatTime(Math.floor((Date.now() - started) / 1000));
        analyser.getFloatTimeDomainData(samples);
        var peak = 0;
        for (var i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
        byId("recorder-level").value = Math.min(1, peak);
        // Stop a little before the server's limit: what was said is kept, not refused.
        if (limit && (Date.now() - started) / 1000 >= limit - 0.5 && recorder.state === "recording") {
          recording.notice = "The recording stopped at the " + formatTime(Math.floor(limit)) + " limit.";
          recorder.stop();
        }
      }, 100);
      recorder.start(250);
      byId("recorder").hidden = false;
      byId("record-button").disabled = true;
    }).catch(function (error) {
      byId("upload-errors").textContent = "The microphone is not available: " + error.message;
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.id === "record-button" && !recording) startRecording();
    if (event.target.id === "recorder-stop" && recording) recording.recorder.stop();
  });
})();

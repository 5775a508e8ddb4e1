/* The campaign's page in the admin, made easier where JavaScript runs; every
   part works without it (the numbers, codes and buttons below only help):
   - the summary counts its characters as they are typed;
   - "Insert in the story" puts a photo's code at the cursor, also for photos
     chosen in the Photos section but not saved yet (numbered as they will be);
   - "Show my changes" sends the story being typed to the preview frame;
   - budget lines move up and down, their positions renumbered 1, 2, 3… */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_all, key) {
      return values[key];
    });
  }

  // The summary's count ------------------------------------------------------
  function countCharacters(textarea) {
    var note = document.createElement("p");
    note.className = "zbor-count";
    note.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", note);
    function update() {
      var max = Number(textarea.dataset.zborMax);
      note.textContent = format(textarea.dataset.zborCount, {
        count: textarea.value.length,
        max: max,
      });
      note.classList.toggle("zbor-count--full", textarea.value.length >= max);
    }
    textarea.addEventListener("input", update);
    update();
  }

  // Photos into the story ----------------------------------------------------
  function story() {
    return document.querySelector("textarea[data-zbor-story]");
  }

  function insertAtCursor(text) {
    var area = story();
    if (!area) return;
    var start = area.selectionStart, end = area.selectionEnd;
    var before = area.value.slice(0, start), after = area.value.slice(end);
    var block = (before && !before.endsWith("\n\n") ? (before.endsWith("\n") ? "\n" : "\n\n") : "") +
      text + (after.startsWith("\n") ? "" : "\n\n");
    area.value = before + block + after;
    area.focus();
    var cursor = (before + block).length;
    area.setSelectionRange(cursor, cursor);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function photoRows() {
    return Array.prototype.filter.call(
      document.querySelectorAll("#photos-group .inline-related"),
      function (row) { return !row.classList.contains("empty-form") && row.id !== "photos-empty"; }
    );
  }

  function isNewChosen(row) {
    var id = row.querySelector("input[name$='-id']");
    if (id && id.value) return false;
    var file = row.querySelector("input[type=file]");
    var pending = row.querySelector("input[name$='-pending']");
    return Boolean((file && file.files && file.files.length) || (pending && pending.value));
  }

  function refreshPicker() {
    var picker = document.querySelector(".zbor-picker");
    if (!picker) return;
    var list = picker.querySelector("ul");
    list.querySelectorAll("li[data-zbor-new]").forEach(function (li) { li.remove(); });
    var number = Number(picker.dataset.zborNext);
    photoRows().forEach(function (row) {
      if (!isNewChosen(row)) return;
      var altInput = row.querySelector("input[name$='-alt_text']");
      var alt = (altInput && altInput.value.trim()) || "";
      var code = "![" + alt + "](photo:" + number + ")";
      var li = document.createElement("li");
      li.dataset.zborNew = "";
      li.dataset.zborPhoto = String(number);
      var label = document.createElement("span");
      label.textContent = format(picker.dataset.zborLabel, { number: number, alt: alt });
      var codeElement = document.createElement("code");
      codeElement.textContent = code;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.dataset.zborInsert = code;
      button.textContent = picker.dataset.zborInsertLabel;
      li.append(label, " ", codeElement, " ", button);
      list.appendChild(li);
      number += 1;
    });
  }

  function setUpPicker() {
    document.querySelectorAll("[data-zbor-insert]").forEach(function (button) {
      button.hidden = false;
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zbor-insert]");
      if (button) insertAtCursor(button.dataset.zborInsert);
    });
    var group = document.getElementById("photos-group");
    if (group) {
      group.addEventListener("change", refreshPicker);
      group.addEventListener("input", refreshPicker);
    }
    refreshPicker();
  }

  // The story preview ----------------------------------------------------------
  function setUpPreview() {
    var preview = document.querySelector("[data-zbor-preview]");
    var area = story();
    if (!preview || !area) return;
    var button = preview.querySelector("[data-zbor-refresh]");
    button.hidden = false;
    button.addEventListener("click", showChanges);
    // A page sent back with a mistake, or a campaign not saved yet: the
    // frame shows the story as typed, not as last saved.
    var sentBack = document.querySelector(".errornote");
    if (area.value && (sentBack || "zborUnsaved" in preview.dataset)) showChanges();

    function showChanges() {
      var token = document.querySelector("input[name=csrfmiddlewaretoken]");
      var form = document.createElement("form");
      form.method = "post";
      form.action = preview.dataset.zborPreview;
      form.target = "zbor-story-frame";
      form.hidden = true;
      var fields = [["csrfmiddlewaretoken", token ? token.value : ""], ["story", area.value]];
      // Photos kept for a page sent back show in the preview too.
      // One entry per new photo row, so that each keeps the number it will get.
      photoRows().forEach(function (row) {
        if (!isNewChosen(row)) return;
        var pending = row.querySelector("input[name$='-pending']");
        fields.push(["pending", (pending && pending.value) || "-"]);
      });
      fields.forEach(
        function (pair) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = pair[0];
          input.value = pair[1];
          form.appendChild(input);
        }
      );
      document.body.appendChild(form);
      form.submit();
      form.remove();
    }
  }

  // Budget lines up and down -----------------------------------------------
  function lineRows(group) {
    return Array.prototype.filter.call(
      group.querySelectorAll("tbody tr.form-row"),
      function (row) { return !row.classList.contains("empty-form"); }
    );
  }

  function counts(row) {
    var id = row.querySelector("input[name$='-id']");
    var label = row.querySelector("input[name$='-label']");
    return Boolean((id && id.value) || (label && label.value.trim()));
  }

  function renumber(group) {
    var position = 1;
    lineRows(group).forEach(function (row) {
      var input = row.querySelector("input[data-zbor-position]");
      if (!input) return;
      if (counts(row)) {
        input.value = String(position);
        position += 1;
      }
    });
  }

  function move(group, row, step) {
    var rows = lineRows(group);
    var index = rows.indexOf(row);
    var other = rows[index + step];
    if (!other) return;
    if (step < 0) other.before(row); else other.after(row);
    renumber(group);
    var button = row.querySelector(step < 0 ? "[data-zbor-up]" : "[data-zbor-down]");
    if (button) button.focus();
  }

  function addMoveButtons(group, row) {
    var cell = row.querySelector("td.field-position");
    if (!cell || cell.querySelector("[data-zbor-up]")) return;
    [["zborUp", "↑", -1], ["zborDown", "↓", 1]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "zbor-move";
      button.dataset[spec[0]] = "";
      button.textContent = spec[1];
      button.setAttribute("aria-label", group.dataset[spec[0] + "Label"]);
      button.title = group.dataset[spec[0] + "Label"];
      button.addEventListener("click", function () { move(group, row, spec[2]); });
      cell.appendChild(button);
    });
  }

  // A page sent back lists the rows in the order they were sent, not as
  // they were moved: put them back in the order of their positions.
  function sortByPosition(group) {
    var rows = lineRows(group);
    var keyed = rows.map(function (row, index) {
      var input = row.querySelector("input[data-zbor-position]");
      var value = input && input.value !== "" ? Number(input.value) : Infinity;
      return { row: row, position: value, index: index };
    });
    keyed.sort(function (a, b) {
      return a.position - b.position || a.index - b.index;
    });
    var anchor = rows.length ? rows[rows.length - 1].nextSibling : null;
    var body = rows.length ? rows[0].parentNode : null;
    keyed.forEach(function (item) {
      // Each row's error line, if any, travels with it.
      var errors = item.row.previousElementSibling;
      if (errors && errors.classList.contains("row-form-errors")) {
        body.insertBefore(errors, anchor);
      }
      body.insertBefore(item.row, anchor);
    });
  }

  function setUpLines() {
    var group = document.getElementById("lines-group");
    if (!group) return;
    sortByPosition(group);
    lineRows(group).forEach(function (row) { addMoveButtons(group, row); });
    group.addEventListener("change", function (event) {
      if (event.target.matches("input[name$='-label']")) {
        var row = event.target.closest("tr");
        var input = row && row.querySelector("input[data-zbor-position]");
        if (input && !input.value) renumber(group);
      }
    });
  }

  document.addEventListener("formset:added", function (event) {
    var group = document.getElementById("lines-group");
    if (group && group.contains(event.target)) addMoveButtons(group, event.target);
    refreshPicker();
  });
  document.addEventListener("formset:removed", refreshPicker);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-zbor-count]").forEach(countCharacters);
    setUpPicker();
    setUpPreview();
    setUpLines();
  });
})();

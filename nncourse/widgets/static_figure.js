(function () {
  /* nnlib static figure: controls that show precomputed frames (no kernel needed). */
  var root = document.currentScript.parentElement;
  var data = JSON.parse(root.querySelector("script.nnlib-frames").textContent);
  var img = root.querySelector("img.nnlib-frame");
  var box = root.querySelector(".nnlib-controls");
  var state = data.default.slice();
  var rows = {};
  function show() {
    var key = state.join(",");
    img.src = data.frames[data.index[key]];
    img.setAttribute("data-key", key);
  }
  function row(group) {
    var name = group || "";
    if (!rows[name]) {
      var div = document.createElement("div");
      div.style.cssText = "display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center";
      if (group) {
        var head = document.createElement("strong");
        head.textContent = group + ":";
        div.appendChild(head);
      }
      box.appendChild(div);
      rows[name] = div;
    }
    return rows[name];
  }
  data.params.forEach(function (p) {
    var label = document.createElement("label");
    label.className = "nnlib-control";
    label.style.cssText = "display:inline-flex;align-items:center;gap:4px";
    var input, out = null;
    if (p.kind === "choice") {
      input = document.createElement("select");
      p.values.forEach(function (v, j) {
        var option = document.createElement("option");
        option.value = String(j);
        option.textContent = v;
        input.appendChild(option);
      });
      input.value = String(p.default);
      input.addEventListener("change", function () {
        state[p.position] = Number(input.value);
        show();
      });
    } else if (p.kind === "bool") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = p.default === 1;
      input.addEventListener("change", function () {
        state[p.position] = input.checked ? 1 : 0;
        show();
      });
    } else {
      input = document.createElement("input");
      input.type = "range";
      input.min = "0";
      input.max = String(p.values.length - 1);
      input.step = "1";
      input.value = String(p.default);
      input.title = "precomputed: " + p.values.length + " values; run the notebook for any value";
      out = document.createElement("output");
      out.textContent = p.values[p.default];
      input.addEventListener("input", function () {
        state[p.position] = Number(input.value);
        out.textContent = p.values[state[p.position]];
        show();
      });
    }
    input.className = "nnlib-input";
    input.setAttribute("data-param", p.name);
    label.appendChild(document.createTextNode(p.label));
    label.appendChild(input);
    if (out) label.appendChild(out);
    row(p.group).appendChild(label);
  });
})();

/* readinglist: small progressive enhancements. The site works without this file. */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  function setUpCopyButtons() {
    var buttons = document.querySelectorAll("button[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      if (!target) { return; }
      var status = button.parentNode && button.parentNode.querySelector(".copy-status");
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(target.textContent || "").then(function () {
          if (status) { status.textContent = "Copied"; }
        }, function () {
          if (status) { status.textContent = "Select the text and copy it"; }
          var range = document.createRange();
          range.selectNodeContents(target);
          var selection = window.getSelection();
          if (selection) {
            selection.removeAllRanges();
            selection.addRange(range);
          }
        }).then(function () {
          window.setTimeout(function () { if (status) { status.textContent = ""; } }, 2500);
        });
      });
    });
  }

  /* On a phone the menu scrolls sideways: the section you are in is scrolled into it, or
     "Stats" and "Search" are never seen marked. */
  function showCurrentSection() {
    var nav = document.querySelector(".site-nav");
    var current = nav && nav.querySelector("a.active");
    if (!current || nav.scrollWidth <= nav.clientWidth) { return; }
    var box = nav.getBoundingClientRect(), link = current.getBoundingClientRect();
    nav.scrollLeft += (link.left + link.width / 2) - (box.left + box.width / 2);
  }

  /* Printed, a paper page names every author: the names behind "and N more" open for the
     print, and close again after it. */
  function openAuthorsForPrint() {
    var opened = [];
    window.addEventListener("beforeprint", function () {
      opened = Array.prototype.filter.call(
        document.querySelectorAll("details.more-authors"), function (d) { return !d.open; });
      opened.forEach(function (d) { d.open = true; });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (d) { d.open = false; });
      opened = [];
    });
  }

  function setUp() {
    setUpCopyButtons();
    showCurrentSection();
    openAuthorsForPrint();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();

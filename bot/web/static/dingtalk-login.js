// 钉钉免登: ask the DingTalk app for a one-time auth code (dd.runtime.permission.requestAuthCode, from the vendored
// dingtalk-jsapi) and post it with the login's state; the server turns it into the member's userid.
(function () {
  "use strict";
  var form = document.getElementById("dingtalk-login");
  var status = document.getElementById("dingtalk-status");
  if (!form || !window.studybotDingTalk) { return; }
  function failed(reason) {
    if (String(reason).indexOf("notInDingTalk") >= 0) { reason = "当前不在钉钉中"; }
    status.textContent = "钉钉免登失败（" + reason + "）。请在钉钉中重新打开，或改用钉钉授权登录。";
    var link = document.createElement("a");
    link.href = "/login/dingtalk/qr";
    link.textContent = "改用钉钉授权登录";
    status.appendChild(document.createTextNode(" "));
    status.appendChild(link);
  }
  var request = window.studybotDingTalk.requestAuthCode;
  try {
    request({ corpId: form.dataset.corpId, clientId: form.dataset.clientId }).then(function (result) {
      if (!result || !result.code) { failed("未取得授权码"); return; }
      form.elements.code.value = result.code;
      form.submit();
    }, function (error) {
      failed((error && (error.errorMessage || error.message)) || "请在钉钉中打开");
    });
  } catch (error) {
    failed((error && error.message) || "请在钉钉中打开");
  }
})();

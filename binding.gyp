{
  "targets": [
    {
      "target_name": "latentlens",
      "sources": [
        "native/addon.cc",
        "native/allocator.cc",
        "native/conv-transpose.cc",
        "native/convert.cc",
        "native/dispatch.cc",
        "native/distributed.cc",
        "native/generator.cc",
        "native/script.cc",
        "native/tensor.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node native/libtorch-config.mjs include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "_GLIBCXX_USE_CXX11_ABI=<!(node native/libtorch-config.mjs abi)",
        "<!@(node native/libtorch-config.mjs gloo)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["<!(node native/libtorch-config.mjs std)", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "ldflags": ["<!@(node native/libtorch-config.mjs ldflags)"]
    },
    {
      "target_name": "latentlens_forest",
      "sources": ["native/forest-tree.cc", "native/forest-walk.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-ffp-contract=off"]
    },
    {
      "target_name": "latentlens_embed",
      "sources": ["native/embed-tsne.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-ffp-contract=off"]
    }
  ]
}

module libsimnet.test/go

go 1.19

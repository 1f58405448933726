"""Settings every gunicorn of the platform shares; gunicorn reads this file from the folder it starts in
(the repository here, /app in the image), whatever else its command line says.

gunicorn 25 and later open a control socket, by default at ~/.gunicorn/gunicorn.ctl: one path for every
gunicorn of a user, so on one machine (make run starts eight) they contend for it (make run logged "Control
server error: Address already in use"), and whoever can reach the socket can stop or reconfigure the
server that holds it. Nothing
here uses it: processes are stopped by signals (honcho, Kubernetes), so it stays shut."""

control_socket_disable = True
